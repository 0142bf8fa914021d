import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Address, OPEN } from '@openledger/core';
import { FEE_COLLECTOR } from '../bank/keeper.js';
import { TEST_ADDRESSES, TestChain } from '../testkit.js';
import { DISTRIBUTION } from './keeper.js';

const [alice, bob, carol, dave] = TEST_ADDRESSES as [Address, Address, Address, Address];
const KEY_A = `0x${'11'.repeat(32)}`;
const KEY_B = `0x${'22'.repeat(32)}`;

/** A: 300 OPEN self + 300 OPEN of carol, 10% commission; B: 100 OPEN self, no commission. */
async function twoValidators() {
  return TestChain.create({
    modules: {
      staking: {
        validators: [
          { operator: alice, consensusKey: KEY_A, commissionBps: 1_000, selfBond: 300n * OPEN },
          { operator: bob, consensusKey: KEY_B, commissionBps: 0, selfBond: 100n * OPEN },
        ],
        delegations: [{ delegator: carol, validator: alice, amount: 300n * OPEN }],
      },
    },
  });
}

function attribute(
  receipt: { events: { type: string; attributes: [string, string][] }[] },
  type: string,
  name: string,
) {
  const event = receipt.events.find((e) => e.type === type);
  assert.ok(event, `no ${type} event`);
  return BigInt(event.attributes.find(([k]) => k === name)![1]);
}

test('stakers deposits go to validators by power, minus commission, and to delegators by shares', async () => {
  const chain = await twoValidators();
  await chain.withContext((ctx) => ctx.keepers.distribution.depositStakersReward(ctx, dave, 1_000n * OPEN));
  assert.equal((await chain.query('distribution.totals')).pending, 1_000n * OPEN);
  await chain.block();
  // A has 600 of 700 power: ⌊1000 × 600/700⌋ = 857.142857142857142857; commission ⌊10%⌋
  const a = await chain.query('distribution.validator', { address: alice });
  assert.equal(a.commission, 85_714285714285714285n);
  // delegators' part 771.428571428571428572, 600 shares → 1.285714285714285714286666666 per share (×10^27)
  assert.equal(a.rewardPerShare, 1_285714285714285714286666666n);
  const b = await chain.query('distribution.validator', { address: bob });
  assert.equal(b.commission, 0n);
  const carols = await chain.query('distribution.rewards', { delegator: carol });
  assert.equal(carols.total, 385_714285714285714285n); // ⌊300 × per share⌋: never more than the exact half
  const bobs = await chain.query('distribution.rewards', { delegator: bob });
  assert.equal(bobs.total, 142_857142857142857142n);
  const totals = await chain.query('distribution.totals');
  assert.equal(totals.received, 1_000n * OPEN);
  assert.equal(totals.pending, 0n);
  assert.equal(totals.dust, 1n); // 1000 − 857.142857142857142857 − 142.857142857142857142
  assert.equal(await chain.balance(DISTRIBUTION), 1_000n * OPEN);
  assert.deepEqual(await chain.invariants(), []);

  // carol withdraws exactly her reward (her own gas fee is distributed after, at the end of the block)
  const before = await chain.balance(carol);
  const r = await chain.send(2, 'WithdrawRewards', { validator: alice });
  assert.equal(r.status, 'ok', r.error);
  assert.equal(attribute(r, 'distribution.withdraw_rewards', 'reward'), 385_714285714285714285n);
  assert.equal(await chain.balance(carol), before + 385_714285714285714285n - r.gasUsed * r.gasPrice);
  // the operator withdraws its delegation reward and its commission
  // (carol's block added its own gas fees: commission and rewards grew by their share of them)
  const commission = (await chain.query('distribution.validator', { address: alice })).commission;
  assert.ok(commission > 85_714285714285714285n);
  const own = (await chain.query('distribution.rewards', { delegator: alice })).total;
  assert.ok(own >= 385_714285714285714285n);
  const ra = await chain.send(0, 'WithdrawRewards', { validator: alice });
  assert.equal(attribute(ra, 'distribution.withdraw_rewards', 'commission'), commission);
  assert.equal(attribute(ra, 'distribution.withdraw_rewards', 'reward'), own);
  assert.deepEqual(await chain.invariants(), []);
});

test('gas fees are drained from the fee collector every block', async () => {
  const chain = await twoValidators();
  const r = await chain.send(3, 'Transfer', { to: carol, amount: OPEN });
  const fee = r.gasUsed * r.gasPrice;
  assert.equal(await chain.balance(FEE_COLLECTOR), 0n);
  const totals = await chain.query('distribution.totals');
  assert.equal(totals.received, fee);
  assert.deepEqual(await chain.invariants(), []);
});

test("a stake change pays the delegation's pending reward exactly, then restarts it", async () => {
  const chain = await twoValidators();
  await chain.withContext((ctx) => ctx.keepers.distribution.depositStakersReward(ctx, dave, 7n * OPEN + 3n));
  await chain.block();
  const pending = (await chain.query('distribution.rewards', { delegator: carol })).total;
  assert.ok(pending > 0n);
  const r = await chain.send(2, 'Bond', { validator: alice, amount: 100n * OPEN });
  assert.equal(attribute(r, 'distribution.withdraw_rewards', 'reward'), pending);
  // only the fees of carol's own block accrue from then on, at her new stake
  const after = (await chain.query('distribution.rewards', { delegator: carol })).total;
  assert.ok(after < pending);
  const n = await chain.send(2, 'WithdrawRewards', { validator: dave }, 1n);
  assert.equal(n.code, 'NOT_FOUND');
  assert.deepEqual(await chain.invariants(), []);
});

test('fees wait while nothing is bonded', async () => {
  const chain = await TestChain.create();
  const r = await chain.send(1, 'Transfer', { to: carol, amount: OPEN });
  assert.equal(await chain.balance(FEE_COLLECTOR), r.gasUsed * r.gasPrice);
  await chain.send(0, 'CreateValidator', {
    consensusKey: KEY_A,
    commissionBps: 0n,
    selfBond: OPEN,
    moniker: '',
  });
  assert.equal(await chain.balance(FEE_COLLECTOR), 0n);
  assert.deepEqual(await chain.invariants(), []);
});

test('a withdrawal costs the same gas with 1 or 400 delegators (lazy F1)', async () => {
  const gasWith = async (delegators: number) => {
    const others = Array.from(
      { length: delegators - 1 },
      (_, i) => `0x${(i + 1).toString(16).padStart(40, '0')}` as Address,
    );
    const chain = await TestChain.create({
      extraAccounts: others.map((address) => ({ address, balance: 2n * OPEN })),
      modules: {
        staking: {
          validators: [{ operator: alice, consensusKey: KEY_A, commissionBps: 500, selfBond: 10n * OPEN }],
          delegations: [
            { delegator: carol, validator: alice, amount: 5n * OPEN },
            ...others.map((delegator, i) => ({ delegator, validator: alice, amount: OPEN + BigInt(i) })),
          ],
        },
      },
    });
    await chain.withContext((ctx) => ctx.keepers.distribution.depositStakersReward(ctx, dave, 3n * OPEN));
    await chain.block();
    const r = await chain.send(2, 'WithdrawRewards', { validator: alice });
    assert.equal(r.status, 'ok', r.error);
    return r.gasUsed;
  };
  const small = await gasWith(1);
  const large = await gasWith(400);
  assert.ok(Number(large) <= Number(small) * 1.01, `withdraw gas ${small} → ${large}`);
});
