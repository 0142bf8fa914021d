import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { pretokenize } from './pretokenize.js';

test('pre-tokens follow the GPT-2 split with ASCII classes', () => {
  assert.deepEqual(pretokenize("Hello, world! It's 2024.\n\n  ok"), [
    'Hello',
    ',',
    ' world',
    '!',
    ' It',
    "'s",
    ' 2024',
    '.',
    '\n\n ',
    ' ok',
  ]);
  assert.deepEqual(pretokenize('naïve 日本 🎉x'), ['naïve', ' 日本', ' 🎉x']);
  assert.deepEqual(pretokenize(''), []);
  assert.deepEqual(pretokenize('a\u00a0b'), ['a\u00a0b']); // NBSP is non-ASCII, so a letter here
});

test('pre-tokens concatenate back to the input', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
      assert.equal(pretokenize(text).join(''), text);
    }),
    { numRuns: 500, seed: 11 },
  );
});
