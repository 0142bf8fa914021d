import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Address, OPEN, toHex } from '@openledger/core';
import fc from 'fast-check';
import type { PreparedTx } from '../app.js';
import type { ChainEvent } from '../events.js';
import { TREASURY } from './bank/keeper.js';
import { TEST_ADDRESSES, TestChain } from './testkit.js';

const ACCOUNTS = TEST_ADDRESSES.length;
const VALIDATORS = [0, 1];

const who = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const amount = fc.oneof(
  fc.constantFrom(1n, OPEN, 1_000n * OPEN, 10_000n * OPEN),
  fc.bigInt({ min: 1n, max: 20_000n * OPEN }),
);
const validator = fc.constantFrom(...VALIDATORS);
const proposalId = fc.bigInt({ min: 1n, max: 2n });
const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

/** One random transaction (or keeper call standing in for another module) of the staking/gov/bank mix. */
const op = fc.oneof(
  w(2, fc.record({ t: fc.constant('Transfer' as const), who, to: who, amount })),
  w(3, fc.record({ t: fc.constant('Bond' as const), who, validator, amount })),
  w(2, fc.record({ t: fc.constant('Unbond' as const), who, validator, amount })),
  w(2, fc.record({ t: fc.constant('WithdrawRewards' as const), who, validator })),
  w(2, fc.record({ t: fc.constant('GovLock' as const), who, amount })),
  w(1, fc.record({ t: fc.constant('GovUnlock' as const), who, amount })),
  w(1, fc.record({ t: fc.constant('GovDelegate' as const), who, to: who })),
  w(
    2,
    fc.record({
      t: fc.constant('Propose' as const),
      who: fc.integer({ min: 0, max: 2 }),
      kind: fc.constantFrom('SetParams', 'TreasurySpend', 'ReverseSlash'),
      amount,
    }),
  ),
  w(
    2,
    fc.record({
      t: fc.constant('Vote' as const),
      who,
      id: proposalId,
      support: fc.bigInt({ min: 0n, max: 2n }),
    }),
  ),
  // governors (genesis gOPEN) voting mostly For, so that proposals pass and execute too
  w(
    6,
    fc.record({
      t: fc.constant('Vote' as const),
      who: fc.integer({ min: 0, max: 2 }),
      id: proposalId,
      support: fc.constantFrom(1n, 1n, 1n, 0n, 2n),
    }),
  ),
  w(3, fc.record({ t: fc.constant('ExecuteProposal' as const), who, id: proposalId })),
  w(1, fc.record({ t: fc.constant('CancelProposal' as const), who, id: proposalId })),
  w(2, fc.record({ t: fc.constant('deposit' as const), amount })),
  w(1, fc.record({ t: fc.constant('slash' as const), validator, bps: fc.bigInt({ min: 0n, max: 10_000n }) })),
);
const block = fc.record({
  ops: fc.array(op, { minLength: 0, maxLength: 4, size: 'max' }),
  dt: fc.oneof(
    w(6, fc.constant(1n)),
    w(2, fc.bigInt({ min: 2n, max: 10n })),
    w(1, fc.bigInt({ min: 10n, max: 200n })),
  ),
});

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

function toTx(chain: TestChain, o: Op): Promise<PreparedTx> | undefined {
  const body = (kind: string, fields: Record<string, unknown>) =>
    toHex(chain.app.registry.encodeBody(kind, fields));
  switch (o.t) {
    case 'Transfer':
      return chain.tx(o.who, 'Transfer', { to: TEST_ADDRESSES[o.to], amount: o.amount });
    case 'Bond':
    case 'Unbond':
      return chain.tx(o.who, o.t, { validator: TEST_ADDRESSES[o.validator], amount: o.amount });
    case 'WithdrawRewards':
      return chain.tx(o.who, o.t, { validator: TEST_ADDRESSES[o.validator] });
    case 'GovLock':
    case 'GovUnlock':
      return chain.tx(o.who, o.t, { amount: o.amount });
    case 'GovDelegate':
      return chain.tx(o.who, o.t, { delegatee: TEST_ADDRESSES[o.to] });
    case 'Propose': {
      const m =
        o.kind === 'SetParams'
          ? body('SetParams', {
              changes: [{ module: 'staking', name: 'unbondingPeriod', value: 1n + (o.amount % 100n) }],
            })
          : o.kind === 'TreasurySpend'
            ? body('TreasurySpend', { to: TEST_ADDRESSES[o.who], amount: o.amount / 10n + 1n, memo: '' })
            : body('ReverseSlash', { slashId: 1n + (o.amount % 3n) });
      return chain.tx(o.who, 'Propose', {
        title: 'p',
        description: '',
        messages: [{ kind: o.kind, body: m }],
      });
    }
    case 'Vote':
      return chain.tx(o.who, 'Vote', { proposalId: o.id, support: o.support });
    case 'ExecuteProposal':
    case 'CancelProposal':
      return chain.tx(o.who, o.t, { proposalId: o.id });
    default:
      return undefined;
  }
}

function burned(events: ChainEvent[]): bigint {
  let sum = 0n;
  for (const e of events) {
    if (e.type === 'bank.burn') sum += BigInt(e.attributes.find(([k]) => k === 'amount')![1]);
  }
  return sum;
}

test('random staking, governance and transfer sequences conserve supply and never over-promise rewards', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(block, { minLength: 15, maxLength: 40, size: 'max' }), async (blocks) => {
      const chain = await TestChain.create({
        params: {
          'gov.votingDelay': 5n,
          'gov.votingPeriod': 30n,
          'gov.timelock': 5n,
          'gov.executionGrace': 200n,
          'gov.unbondingPeriod': 40n,
          'gov.proposalThreshold': 1_000n * OPEN,
          'staking.unbondingPeriod': 30n,
          'slashing.appealWindow': 150n,
          'treasury.outflowWindow': 300n,
        },
        extraAccounts: [{ address: TREASURY, balance: 50_000n * OPEN }],
        modules: {
          staking: {
            validators: VALIDATORS.map((i) => ({
              operator: TEST_ADDRESSES[i],
              consensusKey: `0x${String(i + 1).repeat(64)}`,
              commissionBps: 700 * i,
              selfBond: 1_000n * OPEN,
            })),
          },
          gov: { locks: [0, 1, 2].map((i) => ({ address: TEST_ADDRESSES[i], amount: 5_000n * OPEN })) },
        },
      });
      const initialSupply = await chain.supply();
      let burnedTotal = 0n;
      for (const b of blocks) {
        const txs: PreparedTx[] = [];
        for (const o of b.ops) {
          if (o.t === 'deposit') {
            await chain.withContext((ctx) =>
              ctx.keepers.distribution.depositStakersReward(ctx, TEST_ADDRESSES[5] as Address, o.amount),
            );
          } else if (o.t === 'slash') {
            await chain.withContext((ctx) =>
              ctx.keepers.staking.slash(ctx, TEST_ADDRESSES[o.validator] as Address, o.bps, 'property'),
            );
          } else {
            txs.push(await toTx(chain, o)!);
          }
        }
        const result = await chain.block(txs, b.dt);
        burnedTotal += burned(result.blockEvents) + burned(result.receipts.flatMap((r) => r.events));
        assert.deepEqual(await chain.invariants(), [], `after block ${chain.height}`);
        assert.equal(await chain.supply(), initialSupply - burnedTotal, 'supply changes only by named burns');

        // every withdrawable reward together never exceeds what was distributed and not yet paid
        const totals = await chain.query('distribution.totals');
        let withdrawable = 0n;
        for (const address of TEST_ADDRESSES) {
          const r = await chain.query('distribution.rewards', { delegator: address });
          withdrawable += r.total + r.commission;
        }
        assert.ok(
          totals.paid + withdrawable <= totals.received,
          `paid ${totals.paid} + withdrawable ${withdrawable} > received ${totals.received}`,
        );
      }
    }),
    { numRuns: 12 },
  );
});
