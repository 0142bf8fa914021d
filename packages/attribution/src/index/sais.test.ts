import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { suffixArray } from './sais.js';

function naive(s: ArrayLike<number>): number[] {
  const n = s.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  return idx.sort((a, b) => {
    for (let k = 0; ; k++) {
      if (a + k === n) return -1;
      if (b + k === n) return 1;
      const d = s[a + k]! - s[b + k]!;
      if (d !== 0) return d;
    }
  });
}

test('SA-IS equals naive sorting on random strings over small and large alphabets', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2000 }), fc.array(fc.nat(), { maxLength: 400 }), (upper, raw) => {
      const s = Int32Array.from(raw.map((x) => x % (upper + 1)));
      assert.deepEqual(Array.from(suffixArray(s, upper)), naive(s));
    }),
    { numRuns: 300, seed: 42 },
  );
  // repetitive inputs exercise the recursion
  for (const unit of [[1], [1, 2], [2, 1, 1], [3, 1, 2, 1]]) {
    const s = Int32Array.from({ length: 1000 }, (_, i) => unit[i % unit.length]!);
    assert.deepEqual(Array.from(suffixArray(s, 3)), naive(s));
  }
});

test('SA-IS refuses symbols outside the alphabet', () => {
  assert.throws(() => suffixArray(Int32Array.of(1, 5), 4), RangeError);
});
