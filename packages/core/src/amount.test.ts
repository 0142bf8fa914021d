import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { formatOpen, OPEN, parseOpen } from './amount.js';
import { BaseError } from './errors.js';

test('parseOpen reads decimals exactly', () => {
  assert.equal(parseOpen('1'), OPEN);
  assert.equal(parseOpen('1.5'), 1_500_000_000_000_000_000n);
  assert.equal(parseOpen('0.000000000000000001'), 1n);
  assert.equal(parseOpen('.25'), 250_000_000_000_000_000n);
  assert.equal(parseOpen('12.'), 12n * OPEN);
  assert.equal(parseOpen('0'), 0n);
  assert.equal(parseOpen('123456789012345678901234567890'), 123456789012345678901234567890n * OPEN);
});

test('parseOpen refuses junk and more than 18 decimals', () => {
  for (const bad of ['', '.', '-1', '+1', '1e18', ' 1', '1 ', '1,5', '0x10', 'abc', '1.2.3', 'NaN']) {
    assert.throws(
      () => parseOpen(bad),
      (e: unknown) => e instanceof BaseError && e.code === 'INVALID_AMOUNT',
      bad,
    );
  }
  assert.throws(() => parseOpen('0.0000000000000000001'), /more than 18 decimals/);
});

test('formatOpen trims trailing zeros and handles signs', () => {
  assert.equal(formatOpen(0n), '0');
  assert.equal(formatOpen(OPEN), '1');
  assert.equal(formatOpen(1n), '0.000000000000000001');
  assert.equal(formatOpen(1_140_000_000_000_000_000n), '1.14');
  assert.equal(formatOpen(-1_500_000_000_000_000_000n), '-1.5');
});

test('formatOpen and parseOpen round-trip every non-negative amount', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 200n) - 1n }), (v) => parseOpen(formatOpen(v)) === v),
    { numRuns: 2000 },
  );
});
