import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Address, OPEN } from '@openledger/core';
import { SLASHED } from '../slashing/keeper.js';
import { TEST_ADDRESSES, TestChain } from '../testkit.js';
import { STAKING } from './keeper.js';

const [alice, bob, carol] = TEST_ADDRESSES as [Address, Address, Address];
const KEY_A = `0x${'11'.repeat(32)}`;
const KEY_B = `0x${'22'.repeat(32)}`;

function eventTypes(receipt: { events: { type: string }[] }) {
  return receipt.events.map((e) => e.type);
}

test('genesis makes the sequencer a validator from genesis.modules.staking', async () => {
  const chain = await TestChain.create({
    modules: {
      staking: {
        validators: [
          { operator: alice, consensusKey: KEY_A, commissionBps: 500, selfBond: '1000000000000000000000' },
        ],
        delegations: [{ delegator: bob, validator: alice, amount: 500n * OPEN }],
      },
    },
  });
  const { validators, totalBonded } = await chain.query('staking.validators');
  assert.equal(validators.length, 1);
  assert.equal(validators[0].operator, alice);
  assert.equal(validators[0].commissionBps, 500n);
  assert.equal(validators[0].tokens, 1500n * OPEN);
  assert.equal(totalBonded, 1500n * OPEN);
  assert.equal(await chain.balance(STAKING), 1500n * OPEN);
  assert.deepEqual(await chain.invariants(), []);
});

test('create validator, bond, unbond into the queue, release after the unbonding period', async () => {
  const chain = await TestChain.create({ params: { 'staking.unbondingPeriod': 60n } });
  const r1 = await chain.send(0, 'CreateValidator', {
    consensusKey: KEY_A,
    commissionBps: 1000n,
    selfBond: 100n * OPEN,
    moniker: 'alpha',
  });
  assert.equal(r1.status, 'ok', r1.error);
  assert.deepEqual(
    eventTypes(r1),
    ['staking.create_validator', 'bank.transfer', 'staking.bond'].filter((t) => t !== 'bank.transfer'),
  );
  const r2 = await chain.send(1, 'Bond', { validator: alice, amount: 300n * OPEN });
  assert.equal(r2.status, 'ok', r2.error);
  const d = await chain.query('staking.delegations', { delegator: bob });
  assert.deepEqual(d.delegations, [{ validator: alice, shares: 300n * OPEN, amount: 300n * OPEN }]);

  const bobBefore = await chain.balance(bob);
  const r3 = await chain.send(1, 'Unbond', { validator: alice, amount: 100n * OPEN });
  assert.equal(r3.status, 'ok', r3.error);
  const unbondTime = chain.time;
  // changing a stake pays its pending reward (gas fees of the earlier blocks) first
  const paid = r3.events.find((e) => e.type === 'distribution.withdraw_rewards');
  assert.ok(paid, 'the unbond settles the reward');
  const reward = BigInt(paid.attributes.find(([k]) => k === 'reward')![1]);
  assert.ok(reward > 0n);
  const fee3 = r3.gasUsed * r3.gasPrice - reward;
  const { entries } = await chain.query('staking.unbonding', { delegator: bob });
  assert.equal(entries.length, 1);
  assert.equal(entries[0].amount, 100n * OPEN);
  assert.equal(entries[0].completionTime, unbondTime + 60n);
  assert.equal((await chain.query('staking.pool')).unbonding, 100n * OPEN);

  // one second before completion: still waiting
  const early = await chain.block([], 59n);
  assert.ok(!early.blockEvents.some((e) => e.type === 'staking.unbonding_complete'));
  assert.equal(await chain.balance(bob), bobBefore - fee3);
  const done = await chain.block([], 1n);
  assert.ok(done.blockEvents.some((e) => e.type === 'staking.unbonding_complete'));
  assert.equal(await chain.balance(bob), bobBefore - fee3 + 100n * OPEN);
  assert.deepEqual((await chain.query('staking.unbonding', { delegator: bob })).entries, []);
  assert.equal((await chain.query('staking.pool')).bonded, 300n * OPEN);
  assert.deepEqual(await chain.invariants(), []);
});

test('bad staking input is refused with a clear code; included, it only pays gas', async () => {
  const chain = await TestChain.create();
  await chain.send(0, 'CreateValidator', {
    consensusKey: KEY_A,
    commissionBps: 0n,
    selfBond: 10n * OPEN,
    moniker: '',
  });
  await chain.send(1, 'Bond', { validator: alice, amount: 5n * OPEN });
  const tooMuch = await chain.refused(
    1,
    'Unbond',
    { validator: alice, amount: 5n * OPEN + 1n },
    'INSUFFICIENT_STAKE',
  );
  assert.match(tooMuch.error!, /has 5 OPEN bonded/);
  await chain.refused(1, 'Unbond', { validator: carol, amount: 1n }, 'NOT_FOUND');
  await chain.refused(1, 'Bond', { validator: carol, amount: OPEN }, 'NOT_FOUND');
  await chain.refused(1, 'Bond', { validator: alice, amount: 0n }, 'INVALID_MESSAGE');
  await chain.refused(
    0,
    'CreateValidator',
    { consensusKey: KEY_B, commissionBps: 0n, selfBond: OPEN, moniker: '' },
    'ALREADY_EXISTS',
  );
  await chain.refused(
    1,
    'CreateValidator',
    { consensusKey: KEY_A, commissionBps: 0n, selfBond: OPEN, moniker: '' },
    'ALREADY_EXISTS',
  );
  await chain.refused(
    1,
    'CreateValidator',
    { consensusKey: `0x${'00'.repeat(32)}`, commissionBps: 0n, selfBond: OPEN, moniker: '' },
    'INVALID_MESSAGE',
  );
  await chain.refused(
    1,
    'CreateValidator',
    { consensusKey: KEY_B, commissionBps: 10_001n, selfBond: OPEN, moniker: '' },
    'INVALID_MESSAGE',
  );
  await chain.refused(
    1,
    'CreateValidator',
    { consensusKey: KEY_B, commissionBps: 0n, selfBond: OPEN - 1n, moniker: '' },
    'SELF_BOND_TOO_LOW',
  );
  await chain.refused(2, 'Bond', { validator: alice, amount: 10_000_000n * OPEN }, 'INSUFFICIENT_FUNDS');
  assert.deepEqual(await chain.invariants(), []);
});

test('a slash takes the same fraction from every delegator and holds it for the appeal window', async () => {
  const chain = await TestChain.create({ params: { 'slashing.appealWindow': 100n } });
  await chain.send(0, 'CreateValidator', {
    consensusKey: KEY_A,
    commissionBps: 0n,
    selfBond: 100n * OPEN,
    moniker: '',
  });
  await chain.send(1, 'Bond', { validator: alice, amount: 300n * OPEN });
  const supply = await chain.supply();
  const { amount, slashId } = await chain.withContext((ctx) =>
    ctx.keepers.staking.slash(ctx, alice, 1_000n, 'double sign at height 3'),
  );
  assert.equal(amount, 40n * OPEN);
  assert.equal(slashId, 1n);
  assert.equal(await chain.balance(SLASHED), 40n * OPEN);
  const bobs = await chain.query('staking.delegations', { delegator: bob });
  assert.equal(bobs.delegations[0].amount, 270n * OPEN);
  const alices = await chain.query('staking.delegations', { delegator: alice });
  assert.equal(alices.delegations[0].amount, 90n * OPEN);
  assert.deepEqual(await chain.invariants(), []);
  // after the slash, unbonding everything gives back the reduced stake exactly
  const r = await chain.send(1, 'Unbond', { validator: alice, amount: 270n * OPEN });
  assert.equal(r.status, 'ok', r.error);
  const slash = await chain.query('slashing.slash', { id: 1 });
  assert.equal(slash.status, 'held');
  // the window closes: the slash burns, supply falls by exactly its amount
  await chain.advanceTo(slash.expiresAt - 1n);
  assert.equal(await chain.balance(SLASHED), 40n * OPEN);
  const burn = await chain.block([], 1n);
  assert.ok(burn.blockEvents.some((e) => e.type === 'slashing.burn'));
  assert.equal(await chain.balance(SLASHED), 0n);
  assert.equal(await chain.supply(), supply - 40n * OPEN);
  assert.equal((await chain.query('slashing.slash', { id: 1 })).status, 'burned');
  assert.deepEqual(await chain.invariants(), []);
});
