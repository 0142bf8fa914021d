import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { type FeeWeight, splitFee } from './splitFee.js';

type VectorCase = {
  input: Record<string, string> & {
    name: string;
    weights: { address: string; ppm: number; cutBps?: number }[];
  };
  expected: Record<string, string> & { contributors: { address: string; amount: string }[] };
};
const vectors = JSON.parse(
  readFileSync(new URL('../../../test/vectors/fee.json', import.meta.url), 'utf8'),
) as { cases: VectorCase[] };

const OPEN = 10n ** 18n;

test('fee.json: every case holds to the base unit', () => {
  assert.equal(vectors.cases.length, 42);
  for (const { input, expected } of vectors.cases) {
    const split = splitFee({
      rateInPer1k: BigInt(input.rateInPer1k!),
      rateOutPer1k: BigInt(input.rateOutPer1k!),
      inputTokens: BigInt(input.inputTokens!),
      outputTokens: BigInt(input.outputTokens!),
      platformFee: BigInt(input.platformFee!),
      stakersBps: BigInt(input.stakersBps!),
      contributorsBps: BigInt(input.contributorsBps!),
      ownerBps: BigInt(input.ownerBps!),
      operatorShareBps: BigInt(input.operatorShareBps!),
      feedbackShareBps: BigInt(input.feedbackShareBps!),
      weights: input.weights.map((w) => ({
        address: w.address,
        ppm: BigInt(w.ppm),
        cutBps: BigInt(w.cutBps ?? 0),
      })),
      fallbackPpm: BigInt(input.fallbackPpm!),
    });
    const name = input.name;
    for (const key of [
      'tokenCharge',
      'fee',
      'stakers',
      'contributorsPool',
      'ownerGross',
      'operator',
      'owner',
      'fallback',
      'feedbackPool',
      'treasury',
    ] as const) {
      assert.equal(split[key], BigInt(expected[key]!), `${name}: ${key}`);
    }
    assert.deepEqual(
      split.contributors.map((c) => ({ address: c.address, amount: c.amount.toString() })),
      expected.contributors,
      `${name}: contributors`,
    );
  }
});

test('DESIGN §4.6 vector 1 (whitepaper example)', () => {
  const s = splitFee({
    rateInPer1k: (24n * OPEN) / 100n,
    rateOutPer1k: (40n * OPEN) / 100n,
    inputTokens: 1000n,
    outputTokens: 1000n,
    platformFee: OPEN / 2n,
    stakersBps: 1000n,
    contributorsBps: 2000n,
    ownerBps: 7000n,
    operatorShareBps: 0n,
    feedbackShareBps: 1000n,
    weights: [
      { address: 'a', ppm: 250_000n, cutBps: 0n },
      { address: 'b', ppm: 750_000n, cutBps: 0n },
    ],
    fallbackPpm: 0n,
  });
  assert.equal(s.tokenCharge, (64n * OPEN) / 100n);
  assert.equal(s.fee, (114n * OPEN) / 100n);
  assert.equal(s.stakers, (64n * OPEN) / 1000n);
  assert.equal(s.contributorsPool, (128n * OPEN) / 1000n);
  assert.equal(s.owner, (448n * OPEN) / 1000n);
  assert.equal(s.feedbackPool, (5n * OPEN) / 100n);
  assert.equal(s.treasury, (45n * OPEN) / 100n);
  assert.equal(s.contributors[0]!.amount, (32n * OPEN) / 1000n);
});

test('DESIGN §4.6 vector 2 (base units)', () => {
  const s = splitFee({
    rateInPer1k: 240000000000000123n,
    rateOutPer1k: 400000000000004567n,
    inputTokens: 333n,
    outputTokens: 777n,
    platformFee: 500000000000000007n,
    stakersBps: 1000n,
    contributorsBps: 2000n,
    ownerBps: 7000n,
    operatorShareBps: 1500n,
    feedbackShareBps: 1000n,
    weights: [
      { address: 'a', ppm: 250_000n, cutBps: 0n },
      { address: 'b', ppm: 333_333n, cutBps: 0n },
      { address: 'c', ppm: 416_667n, cutBps: 0n },
    ],
    fallbackPpm: 0n,
  });
  assert.equal(s.tokenCharge, 390720000000003589n);
  assert.equal(s.fee, 890720000000003596n);
  assert.equal(s.stakers, 39072000000000358n);
  assert.equal(s.contributorsPool, 78144000000000717n);
  assert.deepEqual(
    s.contributors.map((c) => c.amount),
    [19536000000000179n, 26047973952000238n, 32560026048000298n],
  );
  assert.equal(s.ownerGross, 273504000000002512n);
  assert.equal(s.operator, 41025600000000376n);
  assert.equal(s.owner, 232478400000002136n);
  assert.equal(s.feedbackPool, 50000000000000000n);
  assert.equal(s.treasury, 450000000000000011n);
});

test('weights that do not sum with the fallback to 1,000,000 are refused', () => {
  const base = {
    rateInPer1k: OPEN,
    rateOutPer1k: OPEN,
    inputTokens: 10n,
    outputTokens: 10n,
    platformFee: 0n,
    stakersBps: 1000n,
    contributorsBps: 2000n,
    ownerBps: 7000n,
    operatorShareBps: 0n,
    feedbackShareBps: 0n,
  };
  assert.throws(
    () =>
      splitFee({ ...base, weights: [{ address: 'a', ppm: 500_000n, cutBps: 0n }], fallbackPpm: 400_000n }),
    (e: unknown) => (e as { code?: string }).code === 'WEIGHTS_DO_NOT_SUM',
  );
  assert.throws(
    () => splitFee({ ...base, stakersBps: 5000n, weights: [], fallbackPpm: 1_000_000n }),
    /exceeds 10000/,
  );
});

test('property: credits sum exactly to the fee, every part is non-negative', () => {
  const amount = fc.bigInt({ min: 0n, max: 10n ** 24n });
  const bps = fc.bigInt({ min: 0n, max: 10_000n });
  fc.assert(
    fc.property(
      amount,
      amount,
      fc.bigInt({ min: 0n, max: 1_000_000n }),
      fc.bigInt({ min: 0n, max: 1_000_000n }),
      amount,
      bps,
      bps,
      bps,
      bps,
      fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.boolean()), { maxLength: 16 }),
      fc.integer({ min: 0, max: 1000 }),
      (rateIn, rateOut, inTok, outTok, platformFee, s, c, op, fb, rawWeights, rawFallback) => {
        const owner = 10_000n - s < c ? 0n : 10_000n - s - c;
        const stakersBps = s;
        const contributorsBps = s + c > 10_000n ? 10_000n - s : c;
        // turn raw parts into ppm weights that sum with the fallback to exactly 1,000,000
        const total = rawWeights.reduce((a, [w]) => a + w, rawFallback) || 1;
        const weights: FeeWeight[] = rawWeights.map(([w, cut], i) => ({
          address: `c${i}`,
          ppm: (BigInt(w) * 1_000_000n) / BigInt(total),
          cutBps: cut ? 5000n : 0n,
        }));
        const fallbackPpm = 1_000_000n - weights.reduce((a, w) => a + w.ppm, 0n);
        const split = splitFee({
          rateInPer1k: rateIn,
          rateOutPer1k: rateOut,
          inputTokens: inTok,
          outputTokens: outTok,
          platformFee,
          stakersBps,
          contributorsBps,
          ownerBps: owner,
          operatorShareBps: op,
          feedbackShareBps: fb,
          weights,
          fallbackPpm,
        });
        const parts = [
          split.stakers,
          split.operator,
          split.owner,
          split.fallback,
          split.feedbackPool,
          split.treasury,
          ...split.contributors.map((x) => x.amount),
        ];
        for (const p of parts) assert.ok(p >= 0n);
        assert.equal(
          parts.reduce((a, b) => a + b, 0n),
          split.fee,
        );
        assert.ok(split.treasury >= platformFee - split.feedbackPool);
      },
    ),
    { numRuns: 300 },
  );
});
