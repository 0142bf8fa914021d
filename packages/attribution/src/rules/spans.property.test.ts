import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { normalizeAddress, normalizeBytes32 } from './bytes.js';
import { attributeSpans, attributeSpansReference, RowsCorpus, type TokenRow } from './spans.js';
import { computeWeights, mixWeights, PPM, scoreSharesPpm, type Weight } from './weights.js';

const addresses = [1, 2, 3, 4].map((i) => normalizeAddress(`0x${i.toString(16).padStart(40, '0')}`));
const datanets = [1, 2].map((i) => normalizeBytes32(`0x${i.toString(16).padStart(64, '0')}`));

// Small alphabets make long repeated matches, ties and duplicates likely.
const rowArb = fc.record({
  tokens: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 30 }),
  contributor: fc.constantFrom(...addresses),
  approvalHeight: fc.integer({ min: 1, max: 4 }).map(BigInt),
  datanet: fc.constantFrom(...datanets),
});

const caseArb = fc.record({
  rows: fc.array(rowArb, { minLength: 1, maxLength: 6 }),
  copyFrom: fc.array(fc.nat(), { maxLength: 3 }),
  output: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 40 }),
  params: fc.record({
    minSpanTokens: fc.integer({ min: 1, max: 6 }),
    maxSpans: fc.integer({ min: 1, max: 6 }),
    maxAttributed: fc.integer({ min: 1, max: 4 }),
  }),
});

function buildRows(
  rows: { tokens: number[]; contributor: string; approvalHeight: bigint; datanet: string }[],
): TokenRow[] {
  const perDatanet = new Map<string, bigint>();
  return rows.map((r) => {
    const idx = perDatanet.get(r.datanet) ?? 0n;
    perDatanet.set(r.datanet, idx + 1n);
    return {
      ...r,
      contributor: normalizeAddress(r.contributor),
      datanet: normalizeBytes32(r.datanet),
      rowIndex: idx,
    };
  });
}

test('fast selection equals the literal rule (fast-check)', () => {
  fc.assert(
    fc.property(caseArb, ({ rows, copyFrom, output, params }) => {
      const tokenRows = buildRows(rows);
      // splice whole rows into the output so long matches happen
      const out = output.slice();
      for (const c of copyFrom)
        out.splice(c % (out.length + 1), 0, ...(tokenRows[c % tokenRows.length]!.tokens as number[]));
      const corpus = new RowsCorpus(tokenRows);
      const fast = attributeSpans(out, corpus, corpus, params);
      const ref = attributeSpansReference(out, corpus, params);
      assert.deepEqual(fast, ref);
      const w = computeWeights(fast, params.maxAttributed);
      assert.equal(w.weights.reduce((s, x) => s + x[1], 0) + w.fallbackPpm, PPM);
      assert.ok(w.weights.length <= params.maxAttributed);
      for (let i = 0; i + 1 < fast.length; i++) {
        assert.ok(fast[i]!.outputOffset + fast[i]!.length <= fast[i + 1]!.outputOffset);
      }
    }),
    { numRuns: 300, seed: 20260 },
  );
});

test('score shares: sum to 1e6, floors within one of exact, order (ppm desc, address asc)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(...addresses), fc.bigInt({ min: 0n, max: 1n << 70n })), {
        maxLength: 8,
      }),
      (credits) => {
        const shares = scoreSharesPpm(credits);
        const total = credits.reduce((s, [, v]) => s + v, 0n);
        if (total === 0n) return assert.deepEqual(shares, []);
        assert.equal(
          shares.reduce((s, [, p]) => s + p, 0),
          PPM,
        );
        for (let i = 0; i + 1 < shares.length; i++) {
          const [a, b] = [shares[i]!, shares[i + 1]!];
          assert.ok(a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]));
        }
      },
    ),
    { numRuns: 300, seed: 7 },
  );
});

test('largest remainder: ties go to the lower address', () => {
  const [a, b, c] = addresses as [string, string, string];
  // three equal scores: 333,333 each, leftover 1 goes to the lowest address
  const shares = scoreSharesPpm([
    [c as `0x${string}`, 5n],
    [a as `0x${string}`, 5n],
    [b as `0x${string}`, 5n],
  ]);
  assert.deepEqual(shares, [
    [a, 333334],
    [b, 333333],
    [c, 333333],
  ]);
});

test('gradient mix: g = 0 is the span rule; g = 1e6 is the gradient weights; fallback absorbs the rest', () => {
  const span: Weight[] = [
    [addresses[0]!, 600000],
    [addresses[1]!, 400000],
  ];
  const grad: Weight[] = [
    [addresses[2]!, 700000],
    [addresses[1]!, 300000],
  ];
  assert.deepEqual(mixWeights(span, grad, 0, 16), { weights: span, fallbackPpm: 0 });
  assert.deepEqual(mixWeights(span, grad, PPM, 16), { weights: grad, fallbackPpm: 0 });
  // g = 1/3: floors lose a little, which goes to fallback
  const m = mixWeights(span, grad, 333333, 2);
  assert.deepEqual(m.weights, [
    [addresses[0]!, Math.floor((600000 * 666667) / PPM)],
    [addresses[1]!, Math.floor((400000 * 666667) / PPM) + Math.floor((300000 * 333333) / PPM)],
  ]);
  assert.equal(m.fallbackPpm, PPM - m.weights.reduce((s, w) => s + w[1], 0));
  assert.throws(() => mixWeights(span, grad, PPM + 1, 2), { code: 'INVALID_ARGUMENT' });
});
