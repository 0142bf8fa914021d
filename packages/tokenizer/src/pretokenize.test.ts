import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PRETOKENIZE_PATTERN, pretokenize } from './pretokenize.js';

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

test('the scanner splits exactly like the documented regular expression', () => {
  const regexSplit = (text: string): string[] =>
    text.match(new RegExp(PRETOKENIZE_PATTERN.source, 'g')) ?? [];
  const tricky = fc
    .array(
      fc.constantFrom(
        ' ',
        '  ',
        '\n',
        '\t',
        '\r\n',
        '\v',
        '\f',
        'a',
        'Z',
        '1',
        '42',
        "'",
        's',
        't',
        're',
        've',
        'll',
        'm',
        'd',
        '.',
        '?!',
        '-',
        'é',
        '日',
        '🎉',
        '\u0301',
        '\u00a0',
        '\u0000',
        '\ud800',
      ),
      { maxLength: 30 },
    )
    .map((parts) => parts.join(''));
  fc.assert(
    fc.property(fc.oneof(tricky, fc.string({ unit: 'binary', maxLength: 80 })), (text) => {
      assert.deepEqual(pretokenize(text), regexSplit(text));
    }),
    { numRuns: 3000, seed: 3 },
  );
});
