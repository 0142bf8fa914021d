import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bpeMergeHeap, bpeMergeRescan, pairKey } from './bpe.js';

/** Random merge tables over a 4-letter byte alphabet, so merges actually apply. */
function randomRanks(seedPairs: [number, number][]): { ranks: Map<number, number>; firstMergeId: number } {
  const firstMergeId = 264;
  const ranks = new Map<number, number>();
  const available = [97, 98, 99, 100];
  for (const [x, y] of seedPairs) {
    const left = available[x % available.length]!;
    const right = available[y % available.length]!;
    const key = pairKey(left, right);
    if (ranks.has(key)) continue;
    ranks.set(key, ranks.size);
    available.push(firstMergeId + ranks.size - 1);
  }
  return { ranks, firstMergeId };
}

test('heap merge and rescan merge give the same tokens', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(40), fc.nat(40)), { maxLength: 30 }),
      fc.array(fc.constantFrom(97, 98, 99, 100), { maxLength: 120 }),
      (pairs, bytes) => {
        const { ranks, firstMergeId } = randomRanks(pairs);
        assert.deepEqual(
          bpeMergeHeap(bytes, ranks, firstMergeId),
          bpeMergeRescan(bytes, ranks, firstMergeId),
        );
      },
    ),
    { numRuns: 300, seed: 7 },
  );
});

test('merges apply lowest rank first, all occurrences left to right', () => {
  // rank 0: (a,a) -> 264; rank 1: (264,a) -> 265
  const ranks = new Map([
    [pairKey(97, 97), 0],
    [pairKey(264, 97), 1],
  ]);
  for (const merge of [bpeMergeHeap, bpeMergeRescan]) {
    assert.deepEqual(merge([97, 97, 97], ranks, 264), [265]);
    assert.deepEqual(merge([97, 97, 97, 97], ranks, 264), [264, 264]);
    assert.deepEqual(merge([97, 97, 97, 97, 97], ranks, 264), [264, 265]);
    assert.deepEqual(merge([98], ranks, 264), [98]);
    assert.deepEqual(merge([], ranks, 264), []);
  }
});
