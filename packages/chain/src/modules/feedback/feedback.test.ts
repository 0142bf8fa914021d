import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Hex, OPEN } from '@openledger/core';
import { TREASURY } from '../bank/keeper.js';
import { address, key, market, receiptResults } from '../settlement/fixture.js';
import { ADDRS, KEYS } from '../shared/testkit.js';
import { bondWeightedMedian } from './ratings.js';
import { FEEDBACK_POOL } from './state.js';

// one epoch covers the whole fixture, so settlement and finalisation fall in epoch 0
const PARAMS = {
  'feedback.feedbackEpoch': 1_000n,
  'feedback.ratingWindow': 30n,
  'feedback.maxRaterShareBps': 4_000n,
};
const raters = [9, 10, 11, 4].map((i) => ({ key: KEYS[i]!, address: ADDRS[i]! }));

test('bond-weighted median: the lowest score whose cumulative bond is at least half', () => {
  assert.equal(
    bondWeightedMedian([
      { score: 1n, bond: 1n },
      { score: 5n, bond: 1n },
    ]),
    1n,
  );
  assert.equal(
    bondWeightedMedian([
      { score: 1n, bond: 1n },
      { score: 5n, bond: 2n },
    ]),
    5n,
  );
  assert.equal(
    bondWeightedMedian([
      { score: 4n, bond: 10n },
      { score: 2n, bond: 3n },
      { score: 5n, bond: 3n },
      { score: 1n, bond: 3n },
    ]),
    4n,
  );
});

async function ratedMarket() {
  const m = await market({ params: PARAMS });
  const { chain } = m;
  const bonds = [100n, 200n, 300n, 50n];
  for (const [i, r] of raters.entries()) await chain.ok(r.key, 'BondFeedback', { amount: bonds[i]! * OPEN });
  const tx = await chain.ok(key('operator'), 'SettleInference', {
    receipts: [m.receipt({ version: m.v1 }), m.receipt({ version: m.v1 })],
  });
  const [r1, r2] = receiptResults(tx).map((r) => r.receipt as Hex) as [Hex, Hex];
  return { ...m, r1, r2, bonds };
}

test('ratings: accepted within ±1 of the median, paid pro rata to bond from the epoch pool, capped, rest to treasury', async () => {
  const { chain, r1, r2 } = await ratedMarket();
  const scores = [4n, 5n, 4n, 1n]; // median by bond (100,200,300,50): cumulative 50@1, 350@4 ≥ 325 → 4
  for (const [i, r] of raters.entries()) {
    await chain.ok(r.key, 'RateOutput', {
      receipt: r1,
      score: scores[i],
      correction: i === 3 ? 'It should say X.' : '',
    });
  }
  // payer, operator and owner may rate but earn nothing
  await chain.ok(key('operator'), 'BondFeedback', { amount: 100n * OPEN });
  await chain.ok(key('operator'), 'RateOutput', { receipt: r1, score: 5n, correction: '' });
  assert.equal(
    (await chain.send(raters[0]!.key, 'RateOutput', { receipt: r1, score: 3n, correction: '' })).code,
    'ALREADY_RATED',
  );
  assert.equal(
    (await chain.send(raters[0]!.key, 'RateOutput', { receipt: r2, score: 9n, correction: '' })).code,
    'INVALID_SCORE',
  );
  assert.equal(
    (await chain.send(key('alice'), 'RateOutput', { receipt: r2, score: 3n, correction: '' })).code,
    'NOT_BONDED',
  );
  assert.equal(
    (await chain.send(raters[0]!.key, 'FinalizeRatings', { receipt: r1 })).code,
    'RATING_WINDOW_OPEN',
  );
  await chain.advance(30n);
  assert.equal(
    (await chain.send(raters[0]!.key, 'RateOutput', { receipt: r1, score: 3n, correction: '' })).code,
    'RATING_WINDOW_CLOSED',
  );
  const fin = await chain.ok(key('alice'), 'FinalizeRatings', { receipt: r1 });
  const attrs = Object.fromEntries(fin.events.find((e) => e.type === 'feedback.finalized')!.attributes);
  assert.equal(attrs.median, '4');
  assert.equal(attrs.accepted, '4'); // raters 0,1,2 and the operator (5 is within ±1 of 4); rater 3 (score 1) is not
  const accepted = (await chain.query('feedback.accepted', {
    model: ((await chain.query('settlement.receipt', { id: r1 })) as { model: Hex }).model,
  })) as {
    rater: string;
  }[];
  assert.equal(accepted.length, 4);

  const epoch = (await chain.query('feedback.epoch')) as {
    index: bigint;
    pool: bigint;
    acceptedBonds: bigint;
  };
  assert.equal(epoch.acceptedBonds, 600n * OPEN); // the operator's bond is not counted
  const pool = epoch.pool;
  assert.equal(pool, 2n * (OPEN / 2n / 10n)); // two receipts × 10% of the 0.5 OPEN platform fee
  const treasury0 = await chain.balance(TREASURY);
  assert.equal(epoch.index, 0n);
  await chain.advance(1_000n); // the epoch closes at the next block
  const cap = (pool * 4_000n) / 10_000n; // rater 2 (half the accepted bonds) is capped, the others are not
  const expected = [100n, 200n, 300n].map((b) => {
    const earned = (pool * b * OPEN) / (600n * OPEN);
    return earned < cap ? earned : cap;
  });
  for (const [i, amount] of expected.entries()) {
    const c = (await chain.query('settlement.claimable', { address: raters[i]!.address })) as {
      balance: bigint;
    };
    assert.equal(c.balance, amount);
  }
  const paid = expected.reduce((a, b) => a + b, 0n);
  assert.equal(await chain.balance(TREASURY), treasury0 + pool - paid);
  assert.equal(await chain.balance(FEEDBACK_POOL), 0n);
  assert.deepEqual(await chain.invariants(), []);
});

test('an epoch with no accepted rating sends its pool to the treasury; the owner may accept a rating', async () => {
  const { chain, r1, r2 } = await ratedMarket();
  await chain.ok(raters[0]!.key, 'RateOutput', { receipt: r1, score: 2n, correction: '' });
  await chain.ok(raters[1]!.key, 'RateOutput', { receipt: r2, score: 3n, correction: '' });
  assert.equal(
    (await chain.send(key('alice'), 'AcceptRating', { receipt: r2, rater: raters[1]!.address })).code,
    'UNAUTHORIZED',
  );
  await chain.ok(key('owner'), 'AcceptRating', { receipt: r2, rater: raters[1]!.address });
  await chain.advance(30n);
  const f1 = await chain.ok(key('alice'), 'FinalizeRatings', { receipt: r1 });
  assert.equal(
    Object.fromEntries(f1.events.find((e) => e.type === 'feedback.finalized')!.attributes).accepted,
    '0',
  );
  await chain.ok(key('alice'), 'FinalizeRatings', { receipt: r2 });
  await chain.advance(1_000n);
  const c = (await chain.query('settlement.claimable', { address: raters[1]!.address })) as {
    balance: bigint;
  };
  const pool = 2n * (OPEN / 20n);
  assert.equal(c.balance, (pool * 4_000n) / 10_000n); // sole accepted rater: capped at maxRaterShareBps
  // next epoch: nothing settled, nothing accepted
  const t0 = await chain.balance(TREASURY);
  await chain.advance(1_001n);
  assert.equal(await chain.balance(TREASURY), t0);
  assert.deepEqual(await chain.invariants(), []);
});

test('feedback bonds unbond over challengeWindow + unbondMargin', async () => {
  const m = await market({ params: PARAMS });
  const { chain } = m;
  await chain.ok(raters[0]!.key, 'BondFeedback', { amount: 10n * OPEN });
  await chain.ok(raters[0]!.key, 'UnbondFeedback', { amount: 10n * OPEN });
  const b0 = await chain.balance(raters[0]!.address);
  await chain.advance(7n * 86_400n + 86_400n);
  assert.equal(await chain.balance(raters[0]!.address), b0 + 10n * OPEN);
  assert.equal(address('alice') !== raters[0]!.address, true);
});
