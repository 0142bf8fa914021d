import { AttributionError } from './errors.js';

const TWO63 = 1n << 63n;

/**
 * L(x) = ⌊2^16 · log2 x⌋ computed exactly as DESIGN §4.7 (*fixed*): k = bitLength(x) − 1;
 * y = x · 2^(62−k) (a right shift when k > 62); r = k; 16 times { y = (y·y) >> 62; r = 2r;
 * if y ≥ 2^63 { y >>= 1; r += 1 } }. Pinned by the golden vectors in `test/vectors/log2.json`.
 *
 * PERF: 16 bigint squarings of ≤ 128-bit numbers.
 */
export function L(x: bigint): bigint {
  if (typeof x !== 'bigint' || x < 1n) {
    throw new AttributionError('INVALID_ARGUMENT', `L(x) is defined for integers x ≥ 1, got ${String(x)}`);
  }
  const hit = memo.get(x);
  if (hit !== undefined) return hit;
  const r = compute(x);
  if (memo.size >= 65536) memo.clear();
  memo.set(x, r);
  return r;
}

/** L is pure, and the same counts recur across queries: a bounded memo. */
const memo = new Map<bigint, bigint>();

function compute(x: bigint): bigint {
  const k = BigInt(x.toString(2).length - 1);
  let y = k <= 62n ? x << (62n - k) : x >> (k - 62n);
  let r = k;
  for (let i = 0; i < 16; i++) {
    y = (y * y) >> 62n;
    r = 2n * r;
    if (y >= TWO63) {
      y >>= 1n;
      r += 1n;
    }
  }
  return r;
}
