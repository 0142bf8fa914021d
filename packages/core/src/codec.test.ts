import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fromHex, toHexRaw } from './bytes.js';
import { decode, encode, type Value } from './codec.js';
import { BaseError } from './errors.js';

// Golden vectors: these bytes are consensus (blocks, transactions, state values are encoded so).
const GOLDEN: Array<[Value, string]> = [
  [null, '00'],
  [false, '01'],
  [true, '02'],
  [0n, '0300'],
  [1n, '030101'],
  [255n, '0301ff'],
  [256n, '03020100'],
  [1n << 64n, '0309010000000000000000'],
  [-1n, '040101'],
  [-256n, '04020100'],
  [new Uint8Array(0), '0500'],
  [fromHex('dead'), '0502dead'],
  [new Uint8Array(200), `05c801${'00'.repeat(200)}`],
  ['', '0600'],
  ['é', '0602c3a9'],
  ['OPEN', '06044f50454e'],
  [[], '0700'],
  [[1n, 'a', [null]], '0703030101060161070100'],
];

test('golden encodings', () => {
  for (const [value, hex] of GOLDEN) {
    assert.equal(toHexRaw(encode(value)), hex);
    assert.deepEqual(decode(fromHex(hex)), value);
  }
});

test('safe JS integers encode as integers; other numbers are refused', () => {
  assert.equal(toHexRaw(encode(255)), '0301ff');
  assert.throws(() => encode(1.5), /only safe integers/);
  assert.throws(() => encode(2 ** 60), /only safe integers/);
});

test('non-canonical and malformed encodings are refused', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /unexpected end/],
    ['030100', /leading zero/],
    ['0400', /negative zero/],
    ['058000', /non-minimal varint/],
    ['0000', /trailing bytes/],
    ['08', /unknown tag 0x08/],
    ['0601ff', /not valid UTF-8/],
    ['07ffffffff0f', /cannot fit/],
    ['0503aabb', /needs 3 bytes/],
    ['05ffffffffff01', /longer than 5 bytes|above 2\^32/],
  ];
  for (const [hex, message] of bad) {
    assert.throws(
      () => decode(fromHex(hex)),
      (e: unknown) => e instanceof BaseError && e.code === 'CODEC_INVALID' && message.test(e.message),
      hex,
    );
  }
  assert.throws(() => decode(fromHex(`${'0701'.repeat(100)}00`)), /nesting deeper/);
});

const valueArb: fc.Arbitrary<Value> = fc.letrec<{ value: Value }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 6 }),
  ),
})).value;

test('decode(encode(v)) = v for random values', () => {
  fc.assert(
    fc.property(valueArb, (v) => {
      assert.deepEqual(decode(encode(v)), v);
    }),
    { numRuns: 3000 },
  );
});

test('random and mutated bytes either decode to a value that re-encodes identically, or throw CODEC_INVALID', () => {
  const check = (bytes: Uint8Array) => {
    let value: Value;
    try {
      value = decode(bytes);
    } catch (e) {
      assert.ok(e instanceof BaseError && e.code === 'CODEC_INVALID', String(e));
      return;
    }
    assert.deepEqual(encode(value), bytes);
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), check), { numRuns: 5000 });
  fc.assert(
    fc.property(valueArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (v, pos, byte) => {
      const bytes = encode(v);
      if (bytes.length === 0) return;
      bytes[pos % bytes.length] = byte;
      check(bytes);
    }),
    { numRuns: 5000 },
  );
});
