import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longestSpan, ngramBaselines } from './evaluate.js';
import { patternExamples } from './test-util.js';

test('longestSpan finds the longest contiguous run shared with any row', () => {
  assert.deepEqual(
    longestSpan(
      [1, 2, 3, 4, 9],
      [
        [7, 2, 3, 4, 8],
        [1, 2, 9],
      ],
    ),
    { length: 3, row: 0 },
  );
  assert.deepEqual(longestSpan([5, 6], [[1, 2]]), { length: 0, row: -1 });
});

test('n-gram baselines: the bigram beats the unigram on sequences with structure', () => {
  const train = patternExamples(50, 20, 1).map((e) => e.ids);
  const held = patternExamples(10, 20, 2);
  const b = ngramBaselines(train, held, 32);
  assert.ok(b.bigram.loss < b.unigram.loss - 1, `${b.bigram.loss} vs ${b.unigram.loss}`);
  assert.equal(b.unigram.tokens, 10 * 19);
  assert.ok(Math.abs(b.unigram.ppl - Math.exp(b.unigram.loss)) < 1e-9);
});
