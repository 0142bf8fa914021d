import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenizerError } from './errors.js';
import { serializeTokenizerFile } from './file.js';
import { TEST_CORPUS } from './test-corpus.js';
import { trainBpe } from './train.js';

test('training follows the documented rule on a hand-checked corpus', () => {
  // Pieces: "ab" ×1, " ab" ×2, " cd" ×2. Pair counts: (a,b) 3, (␠,a) 2, (␠,c) 2, (c,d) 2.
  // 1. (97,98) count 3 -> 264. Then (␠,264) 2, (␠,c) 2, (c,d) 2: tie, lowest left id 32, then lowest right 99.
  // 2. (32,99) -> 265. 3. (32,264) -> 266. 4. (265,100) -> 267. Then no pair occurs twice.
  const file = trainBpe('ab ab ab cd cd', { vocabSize: 300 });
  assert.deepEqual(file.merges, [
    [97, 98],
    [32, 99],
    [32, 264],
    [265, 100],
  ]);
  assert.equal(file.vocabSize, 268);
});

test('training is deterministic and independent of document order', () => {
  const a = serializeTokenizerFile(trainBpe(TEST_CORPUS, { vocabSize: 400 }));
  const b = serializeTokenizerFile(trainBpe([...TEST_CORPUS], { vocabSize: 400 }));
  const c = serializeTokenizerFile(trainBpe([...TEST_CORPUS].reverse(), { vocabSize: 400 }));
  assert.equal(a, b);
  assert.equal(a, c);
  assert.ok(a.includes('"vocabSize": 400'));
});

test('a larger vocabulary extends a smaller one (merges are a prefix)', () => {
  const small = trainBpe(TEST_CORPUS, { vocabSize: 300 });
  const large = trainBpe(TEST_CORPUS, { vocabSize: 400 });
  assert.deepEqual(large.merges.slice(0, small.merges.length), small.merges);
});

test('minFrequency stops training early', () => {
  const file = trainBpe(TEST_CORPUS, { vocabSize: 5000, minFrequency: 3 });
  assert.ok(file.vocabSize < 5000);
  assert.equal(file.vocabSize, 264 + file.merges.length);
});

test('extra special tokens follow the fixed ones', () => {
  const file = trainBpe(TEST_CORPUS, { vocabSize: 300, specialTokens: ['<|tool|>'] });
  assert.deepEqual(file.specialTokens.at(-1), { id: 264, text: '<|tool|>' });
  assert.equal(file.merges[0]![0] < 265 || file.merges[0]![1] < 265, true);
});

test('bad options give clear errors', () => {
  const expectCode = (fn: () => unknown) =>
    assert.throws(
      fn,
      (error: unknown) => error instanceof TokenizerError && error.code === 'TOKENIZER_INVALID_OPTIONS',
    );
  expectCode(() => trainBpe('abc', { vocabSize: 100 }));
  expectCode(() => trainBpe('abc', { vocabSize: 300.5 }));
  expectCode(() => trainBpe('abc', { vocabSize: 300, minFrequency: 0 }));
  expectCode(() => trainBpe('abc', { vocabSize: 300, specialTokens: ['<|eos|>'] }));
  expectCode(() => trainBpe('abc', { vocabSize: 300, specialTokens: [''] }));
});

test('an empty corpus gives a vocabulary without merges', () => {
  const file = trainBpe([], { vocabSize: 300 });
  assert.equal(file.merges.length, 0);
  assert.equal(file.vocabSize, 264);
});
