import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RangeMin } from './rangeMin.js';

test('RangeMin equals a scan on every range of random arrays (several block levels)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 1 << 30 }), { minLength: 1, maxLength: 5000 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 50 }),
      (values, ranges) => {
        const base = Int32Array.from(values);
        const rmq = new RangeMin(base);
        for (const [a, b] of ranges) {
          const lo = a % (base.length + 1);
          const hi = lo + (b % (base.length - lo + 1));
          let want = 0x7fffffff;
          for (let i = lo; i < hi; i++) want = Math.min(want, base[i]!);
          assert.equal(rmq.min(lo, hi), want);
        }
      },
    ),
    { numRuns: 200, seed: 3 },
  );
});
