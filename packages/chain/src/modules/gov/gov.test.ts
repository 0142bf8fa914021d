import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Address, OPEN, toHex } from '@openledger/core';
import type { TxReceipt } from '../../block.js';
import { TREASURY } from '../bank/keeper.js';
import { SLASHED } from '../slashing/keeper.js';
import { TEST_ADDRESSES, TestChain } from '../testkit.js';

const [, bob, carol, dave, erin] = TEST_ADDRESSES as [Address, Address, Address, Address, Address];
const GOV_PARAMS = {
  'gov.votingDelay': 5n,
  'gov.votingPeriod': 60n,
  'gov.timelock': 5n,
  'gov.executionGrace': 600n,
  'gov.unbondingPeriod': 60n,
};
const AGAINST = 0n;
const FOR = 1n;
const ABSTAIN = 2n;

/** A chain where test account i has `locks[i]` gOPEN from genesis. */
function setup(locks: Record<number, bigint>, params: Record<string, bigint> = {}, modules = {}) {
  return TestChain.create({
    params: { ...GOV_PARAMS, ...params },
    modules: {
      ...modules,
      gov: {
        locks: Object.entries(locks)
          .filter(([, amount]) => amount > 0n)
          .map(([i, amount]) => ({ address: TEST_ADDRESSES[Number(i)], amount })),
      },
    },
  });
}

function msg(chain: TestChain, kind: string, fields: Record<string, unknown>) {
  return { kind, body: toHex(chain.app.registry.encodeBody(kind, fields)) };
}

function setParams(chain: TestChain, module: string, name: string, value: bigint) {
  return msg(chain, 'SetParams', { changes: [{ module, name, value }] });
}

function ok(r: TxReceipt) {
  assert.equal(r.status, 'ok', `${r.kind}: ${r.code} ${r.error}`);
  return r;
}

async function propose(chain: TestChain, who: number, messages: { kind: string; body: string }[]) {
  const r = ok(await chain.send(who, 'Propose', { title: 'a proposal', description: 'why', messages }));
  const event = r.events.find((e) => e.type === 'gov.propose')!;
  return BigInt(event.attributes.find(([k]) => k === 'id')![1]);
}

const proposal = (chain: TestChain, id: bigint) => chain.query('gov.proposal', { id });
const param = async (chain: TestChain, id: string) =>
  ((await chain.query('params.all')) as { module: string; name: string; value: bigint }[]).find(
    (p) => `${p.module}.${p.name}` === id,
  )!.value;

test('full lifecycle: propose, snapshot, vote, queue, timelock, execute a parameter change', async () => {
  const chain = await setup({ 0: 10_000n * OPEN, 1: 90_000n * OPEN });
  const id = await propose(chain, 0, [setParams(chain, 'staking', 'unbondingPeriod', 120n)]);
  let p = await proposal(chain, id);
  assert.equal(p.status, 'Pending');
  assert.equal(p.quorumBps, 500n);
  assert.equal(p.voteStart, p.createdTime + 5n);
  assert.equal(p.voteEnd, p.voteStart + 60n);
  assert.equal(p.executableAt, p.voteEnd + 5n);
  assert.equal(p.expiresAt, p.executableAt + 600n);
  assert.deepEqual(p.decoded, [
    { kind: 'SetParams', fields: { changes: [{ module: 'staking', name: 'unbondingPeriod', value: 120n }] } },
  ]);
  await chain.refused(1, 'Vote', { proposalId: id, support: FOR }, 'VOTING_NOT_OPEN');

  await chain.advanceTo(p.voteStart - 1n);
  const snapshotHeight = BigInt(chain.height);
  const opened = await chain.block([], 1n);
  assert.ok(opened.blockEvents.some((e) => e.type === 'gov.proposal_active'));
  p = await proposal(chain, id);
  assert.equal(p.status, 'Active');
  assert.equal(p.snapshotHeight, snapshotHeight);
  assert.equal(p.totalAtSnapshot, 100_000n * OPEN);
  assert.equal(p.quorum, 5_000n * OPEN);

  const v = ok(await chain.send(1, 'Vote', { proposalId: id, support: FOR }));
  assert.deepEqual(v.events[0]!.attributes, [
    ['id', '1'],
    ['voter', bob],
    ['support', 'for'],
    ['weight', (90_000n * OPEN).toString()],
  ]);
  ok(await chain.send(0, 'Vote', { proposalId: id, support: AGAINST }));
  await chain.refused(0, 'Vote', { proposalId: id, support: FOR }, 'ALREADY_VOTED');
  await chain.refused(0, 'Vote', { proposalId: id, support: 3n }, 'INVALID_MESSAGE');

  await chain.advanceTo(p.voteEnd);
  p = await proposal(chain, id);
  assert.equal(p.status, 'Queued');
  assert.equal(p.forVotes, 90_000n * OPEN);
  assert.equal(p.againstVotes, 10_000n * OPEN);
  await chain.refused(1, 'Vote', { proposalId: id, support: FOR }, 'VOTING_CLOSED');
  await chain.refused(2, 'ExecuteProposal', { proposalId: id }, 'TIMELOCK_NOT_ELAPSED');

  await chain.advanceTo(p.executableAt);
  // anyone may execute, here carol who holds no gOPEN
  const x = ok(await chain.send(2, 'ExecuteProposal', { proposalId: id }, 0n));
  assert.deepEqual(
    x.events.map((e) => e.type),
    ['params.set', 'gov.execute'],
  );
  assert.equal(await param(chain, 'staking.unbondingPeriod'), 120n);
  p = await proposal(chain, id);
  assert.equal(p.status, 'Executed');
  await chain.refused(2, 'ExecuteProposal', { proposalId: id }, 'PROPOSAL_NOT_QUEUED');
  assert.deepEqual(await chain.invariants(), []);
});

test('quorum exactly at the boundary: ⌈total × quorumBps / 10000⌉ passes, one base unit less does not', async () => {
  // total = 20c − 19 base units, so total × 500 / 10000 = c − 19/20 and the quorum rounds up to c
  const c = 1_000n * OPEN + 7n;
  const a = 10_000n * OPEN;
  const b = 19n * c - 19n - a;
  const run = async (carol: bigint) => {
    const chain = await setup({ 0: a, 1: b, 2: carol, 3: c - carol });
    const id = await propose(chain, 0, [setParams(chain, 'gov', 'quorumBps', 600n)]);
    await chain.advanceTo((await proposal(chain, id)).voteStart);
    ok(await chain.send(2, 'Vote', { proposalId: id, support: FOR }));
    const p = await proposal(chain, id);
    assert.equal(p.totalAtSnapshot, 20n * c - 19n);
    assert.equal(p.quorum, c);
    await chain.advanceTo(p.voteEnd);
    return proposal(chain, id);
  };
  assert.equal((await run(c)).status, 'Queued');
  const short = await run(c - 1n);
  assert.equal(short.status, 'Defeated');
  assert.match(short.reason, /quorum not reached/);
});

test('a tie is defeated; one base unit more For passes', async () => {
  const run = async (forExtra: bigint) => {
    const chain = await setup({ 0: 10_000n * OPEN, 1: 50_000n * OPEN + forExtra, 2: 50_000n * OPEN });
    const id = await propose(chain, 0, [setParams(chain, 'gov', 'quorumBps', 600n)]);
    await chain.advanceTo((await proposal(chain, id)).voteStart);
    ok(await chain.send(1, 'Vote', { proposalId: id, support: FOR }));
    ok(await chain.send(2, 'Vote', { proposalId: id, support: AGAINST }));
    ok(await chain.send(0, 'Vote', { proposalId: id, support: ABSTAIN }));
    await chain.advanceTo((await proposal(chain, id)).voteEnd);
    return proposal(chain, id);
  };
  const tie = await run(0n);
  assert.equal(tie.status, 'Defeated');
  assert.equal(tie.abstainVotes, 10_000n * OPEN);
  assert.match(tie.reason, /does not exceed Against/);
  assert.equal((await run(1n)).status, 'Queued');
});

test('only power held at the snapshot (the last block before voting opens) counts', async () => {
  const chain = await setup({ 0: 10_000n * OPEN, 1: 50_000n * OPEN });
  const id = await propose(chain, 0, [setParams(chain, 'gov', 'quorumBps', 600n)]);
  const p = await proposal(chain, id);
  await chain.advanceTo(p.voteStart - 2n);
  // dave locks in the snapshot block itself: counts
  ok(await chain.send(3, 'GovLock', { amount: 1_000n * OPEN }));
  assert.equal(chain.time, p.voteStart - 1n);
  const snapshot = chain.height;
  // erin locks in the first voting block: acquired after the snapshot
  ok(await chain.send(4, 'GovLock', { amount: 1_000n * OPEN }));
  const active = await proposal(chain, id);
  assert.equal(active.snapshotHeight, BigInt(snapshot));
  assert.equal(active.totalAtSnapshot, 61_000n * OPEN);
  ok(await chain.send(3, 'Vote', { proposalId: id, support: FOR }));
  const refused = await chain.refused(4, 'Vote', { proposalId: id, support: FOR }, 'NO_VOTING_POWER');
  assert.match(refused.error!, new RegExp(`snapshot \\(block ${snapshot}\\)`));
  const power = await chain.query('gov.votingPower', { address: erin, height: snapshot });
  assert.equal(power.votes, 0n);
  assert.deepEqual(await chain.invariants(), []);
});

test('stake moved after the snapshot cannot vote twice; unlocking after it keeps the snapshot power', async () => {
  const chain = await setup({ 0: 10_000n * OPEN, 1: 50_000n * OPEN, 3: 20_000n * OPEN });
  const id = await propose(chain, 0, [setParams(chain, 'gov', 'quorumBps', 600n)]);
  await chain.advanceTo((await proposal(chain, id)).voteStart);
  // bob hands his votes to carol after the snapshot, then both try to use them
  ok(await chain.send(1, 'GovDelegate', { delegatee: carol }));
  assert.equal((await chain.query('gov.stake', { address: carol })).votes, 50_000n * OPEN);
  ok(await chain.send(1, 'Vote', { proposalId: id, support: FOR }));
  await chain.refused(2, 'Vote', { proposalId: id, support: AGAINST }, 'NO_VOTING_POWER');
  await chain.refused(1, 'Vote', { proposalId: id, support: FOR }, 'ALREADY_VOTED');
  // dave starts unbonding after the snapshot: the snapshot keeps his power
  ok(await chain.send(3, 'GovUnlock', { amount: 20_000n * OPEN }));
  assert.equal((await chain.query('gov.stake', { address: dave })).votes, 0n);
  ok(await chain.send(3, 'Vote', { proposalId: id, support: AGAINST }));
  const p = await proposal(chain, id);
  assert.equal(p.forVotes, 50_000n * OPEN);
  assert.equal(p.againstVotes, 20_000n * OPEN);
  // the unlock leaves the checkpoints from its own height on
  const now = await chain.query('gov.votingPower', { address: dave });
  assert.equal(now.votes, 0n);
  assert.equal(now.total, 60_000n * OPEN);
  const before = await chain.query('gov.votingPower', { address: dave, height: p.snapshotHeight });
  assert.equal(before.votes, 20_000n * OPEN);
  assert.deepEqual(await chain.invariants(), []);
});

test('gOPEN unlocks release after the unbonding period; locked gOPEN is not spendable', async () => {
  const chain = await setup({}, {}, {});
  const start = await chain.balance(carol);
  const lock = ok(await chain.send(2, 'GovLock', { amount: 100n * OPEN }));
  await chain.refused(2, 'GovUnlock', { amount: 100n * OPEN + 1n }, 'INSUFFICIENT_STAKE');
  const unlock = ok(await chain.send(2, 'GovUnlock', { amount: 40n * OPEN }));
  const fees = (lock.gasUsed + unlock.gasUsed) * lock.gasPrice;
  const stake = await chain.query('gov.stake', { address: carol });
  assert.equal(stake.locked, 60n * OPEN);
  assert.equal(stake.unlocking.length, 1);
  const refusedFees = start - fees - 100n * OPEN - (await chain.balance(carol));
  await chain.advanceTo(stake.unlocking[0].completionTime - 1n);
  assert.equal(await chain.balance(carol), start - fees - refusedFees - 100n * OPEN);
  const r = await chain.block([], 1n);
  assert.ok(r.blockEvents.some((e) => e.type === 'gov.unlock_complete'));
  assert.equal(await chain.balance(carol), start - fees - refusedFees - 60n * OPEN);
  await chain.refused(2, 'GovDelegate', { delegatee: carol }, 'INVALID_MESSAGE');
  assert.deepEqual(await chain.invariants(), []);
});

test('bad proposals are refused at submission with a clear code, paying only gas', async () => {
  const chain = await setup({ 0: 10_000n * OPEN, 1: 10_000n * OPEN - 1n });
  await chain.refused(
    1,
    'Propose',
    { title: 't', description: '', messages: [setParams(chain, 'gov', 'quorumBps', 600n)] },
    'BELOW_PROPOSAL_THRESHOLD',
  );
  const outOfBounds = await chain.refused(
    0,
    'Propose',
    { title: 't', description: '', messages: [setParams(chain, 'gov', 'quorumBps', 10_001n)] },
    'PARAM_OUT_OF_BOUNDS',
  );
  assert.match(
    outOfBounds.error!,
    /messages\[0\] \(SetParams\): parameter gov.quorumBps = 10001 is out of bounds/,
  );
  await chain.refused(
    0,
    'Propose',
    { title: 't', description: '', messages: [setParams(chain, 'gov', 'nope', 1n)] },
    'NOT_FOUND',
  );
  await chain.refused(0, 'Propose', { title: 't', description: '', messages: [] }, 'INVALID_MESSAGE');
  await chain.refused(
    0,
    'Propose',
    { title: ' ', description: '', messages: [setParams(chain, 'gov', 'quorumBps', 600n)] },
    'INVALID_MESSAGE',
  );
  await chain.refused(
    0,
    'Propose',
    { title: 't', description: '', messages: [msg(chain, 'Vote', { proposalId: 1n, support: 1n })] },
    'INVALID_MESSAGE',
  );
  await chain.refused(
    0,
    'Propose',
    { title: 't', description: '', messages: [{ kind: 'Nope', body: '0x' }] },
    'UNKNOWN_MESSAGE',
  );
  await chain.refused(
    0,
    'Propose',
    { title: 't', description: '', messages: [{ kind: 'SetParams', body: '0x0700' }] },
    'INVALID_MESSAGE',
  );
  // the treasury holds nothing: any spend is over the cap
  await chain.refused(
    0,
    'Propose',
    {
      title: 't',
      description: '',
      messages: [msg(chain, 'TreasurySpend', { to: bob, amount: 1n, memo: '' })],
    },
    'TREASURY_CAP_EXCEEDED',
  );
  // governance-only messages cannot be sent directly
  await chain.refused(
    0,
    'SetParams',
    { changes: [{ module: 'gov', name: 'quorumBps', value: 600n }] },
    'UNAUTHORIZED',
  );
  await chain.refused(0, 'TreasurySpend', { to: bob, amount: 1n, memo: '' }, 'UNAUTHORIZED');
  await chain.refused(0, 'ReverseSlash', { slashId: 1n }, 'UNAUTHORIZED');
  await chain.refused(0, 'Vote', { proposalId: 9n, support: FOR }, 'NOT_FOUND');
  assert.deepEqual((await chain.query('gov.proposals')).proposals, []);
  assert.deepEqual(await chain.invariants(), []);
});

test('cancellation only by the proposer and only while Pending', async () => {
  const chain = await setup({ 0: 10_000n * OPEN, 1: 10_000n * OPEN });
  const id = await propose(chain, 0, [setParams(chain, 'gov', 'quorumBps', 600n)]);
  await chain.refused(1, 'CancelProposal', { proposalId: id }, 'NOT_PROPOSER');
  const r = ok(await chain.send(0, 'CancelProposal', { proposalId: id }));
  assert.equal(r.events[0]!.type, 'gov.cancel');
  const p = await proposal(chain, id);
  assert.equal(p.status, 'Canceled');
  await chain.advanceTo(p.voteStart + 1n);
  assert.equal((await proposal(chain, id)).status, 'Canceled');
  await chain.refused(1, 'Vote', { proposalId: id, support: FOR }, 'VOTING_CLOSED');
  const id2 = await propose(chain, 1, [setParams(chain, 'gov', 'quorumBps', 600n)]);
  await chain.advanceTo((await proposal(chain, id2)).voteStart);
  await chain.refused(1, 'CancelProposal', { proposalId: id2 }, 'PROPOSAL_NOT_PENDING');
  const list = await chain.query('gov.proposals', { status: 'Canceled' });
  assert.deepEqual(
    list.proposals.map((x: { id: bigint }) => x.id),
    [id],
  );
});

test('a passed proposal not executed within the grace expires', async () => {
  const chain = await setup({ 0: 10_000n * OPEN });
  const id = await propose(chain, 0, [setParams(chain, 'gov', 'quorumBps', 600n)]);
  await chain.advanceTo((await proposal(chain, id)).voteStart);
  ok(await chain.send(0, 'Vote', { proposalId: id, support: FOR }));
  const p = await proposal(chain, id);
  await chain.advanceTo(p.expiresAt - 1n);
  assert.equal((await proposal(chain, id)).status, 'Queued');
  const r = await chain.block([], 1n);
  assert.ok(r.blockEvents.some((e) => e.type === 'gov.proposal_expired'));
  assert.equal((await proposal(chain, id)).status, 'Expired');
  await chain.refused(0, 'ExecuteProposal', { proposalId: id }, 'PROPOSAL_EXPIRED');
  assert.equal(await param(chain, 'gov.quorumBps'), 500n);
});

test('running out of the executor gas leaves the proposal Queued (no griefing into Failed)', async () => {
  const chain = await setup({ 0: 10_000n * OPEN });
  const id = await propose(chain, 0, [setParams(chain, 'gov', 'quorumBps', 600n)]);
  await chain.advanceTo((await proposal(chain, id)).voteStart);
  ok(await chain.send(0, 'Vote', { proposalId: id, support: FOR }));
  await chain.advanceTo((await proposal(chain, id)).executableAt);
  const probe = await chain.tx(1, 'ExecuteProposal', { proposalId: id }, 0n);
  chain.forgetNonces();
  const tight = await chain.tx(
    1,
    'ExecuteProposal',
    { proposalId: id },
    chain.app.intrinsicGas(probe) + 12_000n,
  );
  const r = await chain.app.applyBlock(chain.state, chain.nextBlock(), [tight], 'build');
  assert.equal(r.receipts[0]!.code, 'OUT_OF_GAS');
  chain.state.apply(r.writes);
  chain.height++;
  chain.time++;
  assert.equal((await proposal(chain, id)).status, 'Queued');
  ok(await chain.send(1, 'ExecuteProposal', { proposalId: id }));
  assert.equal(await param(chain, 'gov.quorumBps'), 600n);
});

test('treasury spends: 20% quorum, rolling 10% outflow cap, Failed proposals change nothing', async () => {
  const chain = await setup(
    { 0: 10_000n * OPEN, 1: 10_000n * OPEN, 2: 30_000n * OPEN },
    { 'treasury.outflowWindow': 1_000n },
  );
  ok(await chain.send(3, 'Transfer', { to: TREASURY, amount: 1_000n * OPEN }));
  const spend = (amount: bigint) => msg(chain, 'TreasurySpend', { to: erin, amount, memo: 'grant' });
  const first = await propose(chain, 0, [spend(60n * OPEN)]);
  const second = await propose(chain, 1, [setParams(chain, 'gov', 'quorumBps', 600n), spend(60n * OPEN)]);
  const third = await propose(chain, 0, [spend(10n * OPEN)]);
  assert.equal((await proposal(chain, first)).quorumBps, 2_000n);
  assert.equal((await proposal(chain, second)).quorumBps, 2_000n);
  await chain.advanceTo((await proposal(chain, third)).voteStart);
  ok(await chain.send(0, 'Vote', { proposalId: first, support: FOR }));
  ok(await chain.send(1, 'Vote', { proposalId: first, support: FOR })); // 20,000 of 50,000: above 20%
  ok(await chain.send(2, 'Vote', { proposalId: second, support: FOR }));
  ok(await chain.send(0, 'Vote', { proposalId: third, support: FOR })); // 10,000 = 20% exactly
  await chain.advanceTo((await proposal(chain, third)).executableAt);
  assert.equal((await proposal(chain, third)).status, 'Queued');
  const erinBefore = await chain.balance(erin);

  ok(await chain.send(3, 'ExecuteProposal', { proposalId: first }));
  assert.equal(await chain.balance(erin), erinBefore + 60n * OPEN);
  const status = await chain.query('treasury.status', { time: chain.time });
  assert.equal(status.windowOutflow, 60n * OPEN);
  assert.equal(status.cap, 100n * OPEN); // 10% of (940 + 60)
  assert.equal(status.available, 40n * OPEN);

  const x = ok(await chain.send(3, 'ExecuteProposal', { proposalId: second }));
  assert.deepEqual(
    x.events.map((e) => e.type),
    ['gov.proposal_failed'],
  );
  const failed = await proposal(chain, second);
  assert.equal(failed.status, 'Failed');
  assert.match(failed.reason, /^messages\[1\] \(TreasurySpend\): TREASURY_CAP_EXCEEDED: /);
  assert.equal(
    await param(chain, 'gov.quorumBps'),
    500n,
    'the first message of a Failed proposal is rolled back',
  );
  assert.equal(await chain.balance(erin), erinBefore + 60n * OPEN);

  // over what is left of the cap: refused at submission
  await chain.refused(
    0,
    'Propose',
    { title: 't', description: '', messages: [spend(41n * OPEN)] },
    'TREASURY_CAP_EXCEEDED',
  );
  // the window rolls: 1,000 s after the first spend the cap is free again (10% of 940)
  const spentAt = chain.time - 2n;
  await chain.advanceTo(spentAt + 1_000n);
  assert.equal((await chain.query('treasury.status', { time: chain.time })).available, 94n * OPEN);
  const again = await propose(chain, 0, [spend(90n * OPEN)]);
  const p = await proposal(chain, again);
  await chain.advanceTo(p.voteStart);
  ok(await chain.send(2, 'Vote', { proposalId: again, support: FOR }));
  await chain.advanceTo(p.executableAt);
  ok(await chain.send(3, 'ExecuteProposal', { proposalId: again }));
  assert.equal((await proposal(chain, again)).status, 'Executed');
  assert.equal(await chain.balance(erin), erinBefore + 150n * OPEN);
  assert.deepEqual(await chain.invariants(), []);
});

test('a treasury proposal meeting 5% but not 20% turnout is defeated', async () => {
  const chain = await setup({ 0: 10_000n * OPEN, 1: 90_000n * OPEN });
  ok(await chain.send(3, 'Transfer', { to: TREASURY, amount: 1_000n * OPEN }));
  const id = await propose(chain, 0, [msg(chain, 'TreasurySpend', { to: erin, amount: OPEN, memo: '' })]);
  await chain.advanceTo((await proposal(chain, id)).voteStart);
  ok(await chain.send(0, 'Vote', { proposalId: id, support: FOR }));
  await chain.advanceTo((await proposal(chain, id)).voteEnd);
  const p = await proposal(chain, id);
  assert.equal(p.status, 'Defeated');
  assert.equal(p.quorum, 20_000n * OPEN);
});

test('ReverseSlash on appeal returns a held slash to the stake; appeals past the deadline are refused', async () => {
  const KEY = `0x${'33'.repeat(32)}`;
  const chain = await setup(
    { 0: 10_000n * OPEN, 1: 10_000n * OPEN },
    { 'slashing.appealWindow': 300n },
    { staking: { validators: [{ operator: carol, consensusKey: KEY, selfBond: 1_000n * OPEN }] } },
  );
  const { amount } = await chain.withContext((ctx) =>
    ctx.keepers.staking.slash(ctx, carol, 500n, 'test evidence'),
  );
  assert.equal(amount, 50n * OPEN);
  await chain.withContext((ctx) => ctx.keepers.staking.slash(ctx, carol, 100n, 'second'));
  const reverse = (slashId: bigint) => msg(chain, 'ReverseSlash', { slashId });
  const id = await propose(chain, 0, [reverse(1n)]);
  assert.equal((await proposal(chain, id)).quorumBps, 2_000n);
  await chain.advanceTo((await proposal(chain, id)).voteStart);
  ok(await chain.send(0, 'Vote', { proposalId: id, support: FOR }));
  await chain.advanceTo((await proposal(chain, id)).executableAt);
  const x = ok(await chain.send(1, 'ExecuteProposal', { proposalId: id }));
  assert.deepEqual(
    x.events.map((e) => e.type),
    ['staking.slash_returned', 'slashing.reverse', 'gov.execute'],
  );
  assert.equal((await chain.query('slashing.slash', { id: 1 })).status, 'returned');
  assert.equal(
    (await chain.query('staking.validator', { address: carol })).tokens,
    950n * OPEN - 9_500n * 10n ** 15n + 50n * OPEN,
  );
  assert.equal(await chain.balance(SLASHED), 9_500n * 10n ** 15n);
  // slash 2 was made at the same time; its window closes at +300 s, appeals must be proposed 70 s before
  const s2 = await chain.query('slashing.slash', { id: 2 });
  await chain.advanceTo(s2.expiresAt - 71n);
  await chain.refused(
    0,
    'Propose',
    { title: 'late', description: '', messages: [reverse(2n)] },
    'APPEAL_TOO_LATE',
  );
  await chain.refused(
    0,
    'Propose',
    { title: 'again', description: '', messages: [reverse(1n)] },
    'SLASH_NOT_HELD',
  );
  await chain.advanceTo(s2.expiresAt);
  assert.equal((await chain.query('slashing.slash', { id: 2 })).status, 'burned');
  assert.equal(await chain.balance(SLASHED), 0n);
  assert.deepEqual(await chain.invariants(), []);
});
