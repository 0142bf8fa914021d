import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { L } from './log2.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/log2.json', import.meta.url), 'utf8'),
) as { cases: { x: string; L: string }[] };

test('L(x) matches every log2.json vector', () => {
  assert.ok(vectors.cases.length > 30);
  for (const c of vectors.cases) assert.equal(L(BigInt(c.x)), BigInt(c.L), `L(${c.x})`);
});

test('L(x) is exact on powers of two and monotone', () => {
  for (let k = 0n; k < 200n; k++) assert.equal(L(1n << k), k << 16n);
  let prev = -1n;
  for (let x = 1n; x < 5000n; x++) {
    const v = L(x);
    assert.ok(v >= prev);
    prev = v;
  }
});

test('L(x) refuses x < 1', () => {
  assert.throws(() => L(0n), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => L(-5n), { code: 'INVALID_ARGUMENT' });
});
