import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VersionTree, versionLeaf } from '@openledger/attribution/rules';
import { fromHex, type Hex, OPEN, toHex } from '@openledger/core';
import { TREASURY } from '../bank/keeper.js';
import {
  ADDRS,
  contributionOf,
  DEFAULT_DATANET,
  eventAttr,
  GAS_PRICE,
  KEYS,
  testChain,
} from '../shared/testkit.js';
import { SLASHED } from '../slashing/keeper.js';
import { DATANET_BONDS, DATANET_REWARDS } from './keeper.js';

const [owner, alice, bob, carol, stranger] = KEYS as [Hex, Hex, Hex, Hex, Hex];
const [ownerAddr, aliceAddr, bobAddr, carolAddr, strangerAddr] = ADDRS as [Hex, Hex, Hex, Hex, Hex];

async function withDatanet(fields: Partial<typeof DEFAULT_DATANET> = {}) {
  const chain = await testChain();
  const r = await chain.ok(owner, 'CreateDatanet', { ...DEFAULT_DATANET, ...fields });
  const id = eventAttr(r, 'datanets.created', 'datanet') as Hex;
  const submit = async (key: Hex, text: string) => {
    const c = contributionOf(text);
    const receipt = await chain.send(key, 'Contribute', {
      datanet: id,
      blobHash: c.blobHash,
      size: c.size,
      rowCount: c.rowCount,
      rowsRoot: c.rowsRoot,
    });
    const cid =
      receipt.status === 'ok'
        ? (eventAttr(receipt, 'datanets.contributed', 'contribution') as Hex)
        : ('0x' as Hex);
    return { receipt, c, id: cid };
  };
  return { chain, id, submit };
}

test('approvals append version leaves; roots equal the attribution rules’ version tree', async () => {
  const { chain, id, submit } = await withDatanet();
  const texts = [
    'alpha row one\n\nalpha row two',
    'beta row',
    'gamma one\n\ngamma two\n\ngamma three',
    'delta',
  ];
  const keys = [alice, bob, alice, carol];
  const tree = new VersionTree();
  let firstRow = 0n;
  for (const [i, text] of texts.entries()) {
    const s = await submit(keys[i]!, text);
    assert.equal(s.receipt.status, 'ok');
    const a = await chain.ok(owner, 'ApproveContribution', { contribution: s.id });
    const version = BigInt(i + 1);
    tree.append(
      versionLeaf({
        contributor: fromHex(ADDRS[[1, 2, 1, 3][i]!]!),
        version,
        firstRow,
        rowCount: s.c.rowCount,
        rowsRoot: fromHex(s.c.rowsRoot),
      }),
    );
    firstRow += s.c.rowCount;
    assert.equal(eventAttr(a, 'datanets.approved', 'root'), toHex(tree.root(i + 1)));
  }
  const versions = (await chain.query('datanets.versions', { datanet: id })) as {
    version: bigint;
    root: Hex;
    firstRow: bigint;
  }[];
  assert.equal(versions.length, 4);
  for (const [i, v] of versions.entries()) assert.equal(v.root, toHex(tree.root(i + 1)));
  assert.deepEqual(
    versions.map((v) => v.firstRow),
    [0n, 2n, 3n, 6n],
  );
  const contributors = (await chain.query('datanets.contributors', { datanet: id })) as {
    contributor: string;
    firstVersion: bigint;
    acceptedRows: bigint;
  }[];
  const byAddr = new Map(contributors.map((c) => [c.contributor, c]));
  assert.equal(byAddr.get(aliceAddr)?.acceptedRows, 5n);
  assert.equal(byAddr.get(aliceAddr)?.firstVersion, 1n);
  assert.equal(byAddr.get(carolAddr)?.firstVersion, 4n);
  const d = (await chain.query('datanets.datanet', { id })) as {
    versionCount: bigint;
    totalRows: bigint;
    latestRoot: Hex;
  };
  assert.equal(d.versionCount, 4n);
  assert.equal(d.totalRows, 7n);
  assert.equal(d.latestRoot, toHex(tree.root(4)));
  assert.deepEqual(await chain.invariants(), []);
});

test('bad input: private Datanet stranger, approving twice, no rows, duplicates — gas paid, nonce advanced, nothing else', async () => {
  const { chain, id, submit } = await withDatanet({ visibility: 'private', allowList: [ADDRS[1]!] });
  const before = await chain.balance(strangerAddr);
  const s = await submit(stranger, 'I am not invited');
  assert.equal(s.receipt.status, 'failed');
  assert.equal(s.receipt.code, 'NOT_ALLOWED');
  assert.equal(await chain.balance(strangerAddr), before - s.receipt.gasUsed * GAS_PRICE);
  assert.equal(((await chain.query('auth.nonce', { address: strangerAddr })) as { nonce: bigint }).nonce, 1n);
  assert.deepEqual(await chain.query('datanets.pending', { datanet: id }), []);

  const ok = await submit(alice, 'invited row');
  assert.equal(ok.receipt.status, 'ok');
  assert.equal((await submit(alice, 'invited row')).receipt.code, 'DUPLICATE_CONTRIBUTION');
  await chain.ok(owner, 'ApproveContribution', { contribution: ok.id });
  const twice = await chain.send(owner, 'ApproveContribution', { contribution: ok.id });
  assert.equal(twice.code, 'CONTRIBUTION_NOT_PENDING');
  const notCurator = await submit(alice, 'another row');
  assert.equal(
    (await chain.send(bob, 'ApproveContribution', { contribution: notCurator.id })).code,
    'UNAUTHORIZED',
  );

  const empty = await chain.send(alice, 'Contribute', {
    datanet: id,
    blobHash: toHex(new Uint8Array(32).fill(1)),
    size: 10n,
    rowCount: 0n,
    rowsRoot: toHex(new Uint8Array(32).fill(2)),
  });
  assert.equal(empty.code, 'NO_ROWS');
  const huge = await chain.send(alice, 'Contribute', {
    datanet: id,
    blobHash: toHex(new Uint8Array(32).fill(1)),
    size: 5_000_001n,
    rowCount: 3n,
    rowsRoot: toHex(new Uint8Array(32).fill(2)),
  });
  assert.equal(huge.code, 'INVALID_SIZE');
  // the allow-list can be extended by the owner only
  assert.equal(
    (await chain.send(alice, 'SetDatanetAllowList', { datanet: id, add: [strangerAddr], remove: [] })).code,
    'UNAUTHORIZED',
  );
  await chain.ok(owner, 'SetDatanetAllowList', { datanet: id, add: [strangerAddr], remove: [] });
  assert.equal((await submit(stranger, 'now invited')).receipt.status, 'ok');
  assert.deepEqual(await chain.invariants(), []);
});

test('contributions pay gas per blob byte', async () => {
  const { submit } = await withDatanet();
  const small = await submit(alice, 'x');
  const big = await submit(bob, 'y'.repeat(10_000));
  assert.ok(big.receipt.gasUsed - small.receipt.gasUsed >= 16n * 9_999n);
});

test('bonds: returned on rejection, slashed when adversarial, withdrawable after the release delay', async () => {
  const bond = 10n * OPEN;
  const { chain, submit } = await withDatanet({ contributorBond: bond });
  const a = await submit(alice, 'honest but off-topic');
  const b = await submit(bob, 'poison');
  const c = await submit(carol, 'good row');
  assert.equal(await chain.balance(DATANET_BONDS), 3n * bond);
  const aliceBefore = await chain.balance(aliceAddr);
  const r1 = await chain.ok(owner, 'RejectContribution', {
    contribution: a.id,
    adversarial: false,
    reason: 'off-topic',
  });
  assert.equal(await chain.balance(aliceAddr), aliceBefore + bond);
  assert.equal(r1.events.length > 0, true);
  await chain.ok(owner, 'RejectContribution', {
    contribution: b.id,
    adversarial: true,
    reason: 'poisoned data',
  });
  assert.equal(await chain.balance(SLASHED), bond);
  assert.equal(
    ((await chain.query('datanets.penalty', { address: bobAddr })) as { score: bigint }).score,
    1n,
  );
  await chain.ok(owner, 'ApproveContribution', { contribution: c.id });
  assert.equal(
    (await chain.send(carol, 'WithdrawContributionBond', { contribution: c.id })).code,
    'BOND_LOCKED',
  );
  await chain.advance(604_800n);
  const carolBefore = await chain.balance(carolAddr);
  const w = await chain.ok(carol, 'WithdrawContributionBond', { contribution: c.id });
  assert.equal(await chain.balance(carolAddr), carolBefore + bond - w.gasUsed * GAS_PRICE);
  assert.equal(await chain.balance(DATANET_BONDS), 0n);
  assert.deepEqual(await chain.invariants(), []);
});

test('FlagContribution: curators or governance only, once; slashes the held bond and raises the score', async () => {
  const bond = 5n * OPEN;
  const { chain, submit } = await withDatanet({ contributorBond: bond });
  const a = await submit(alice, 'biased row');
  await chain.ok(owner, 'ApproveContribution', { contribution: a.id });
  assert.equal(
    (await chain.send(bob, 'FlagContribution', { contribution: a.id, reason: 'biased' })).code,
    'UNAUTHORIZED',
  );
  await chain.gov('FlagContribution', { contribution: a.id, reason: 'biased (penalty proposal)' });
  assert.equal(await chain.balance(SLASHED), bond);
  assert.equal(
    (await chain.send(owner, 'FlagContribution', { contribution: a.id, reason: 'again' })).code,
    'ALREADY_FLAGGED',
  );
  const c = (await chain.query('datanets.contribution', { id: a.id })) as {
    flagged: boolean;
    bond: bigint;
    status: string;
  };
  assert.equal(c.flagged, true);
  assert.equal(c.bond, 0n);
  assert.equal(c.status, 'approved');
  assert.deepEqual(await chain.invariants(), []);
});

test('training licence: fee credited pro rata to rows of versions ≤ v (Fenwick), later rows earn nothing, remainder to treasury', async () => {
  const fee = 1_000n * OPEN + 7n;
  const { chain, id, submit } = await withDatanet({ trainingFee: fee });
  const a = await submit(alice, 'a1\n\na2\n\na3'); // 3 rows, version 1
  await chain.ok(owner, 'ApproveContribution', { contribution: a.id });
  const b = await submit(bob, 'b1\n\nb2\n\nb3\n\nb4'); // 4 rows, version 2
  await chain.ok(owner, 'ApproveContribution', { contribution: b.id });
  const reg = await chain.ok(carol, 'RegisterModel', { name: 'm', baseModel: 'base', description: '' });
  const model = eventAttr(reg, 'models.registered', 'model') as Hex;
  assert.equal(
    (await chain.send(alice, 'BuyTrainingLicence', { model, datanet: id, version: 2n })).code,
    'UNAUTHORIZED',
  );
  assert.equal(
    (await chain.send(carol, 'BuyTrainingLicence', { model, datanet: id, version: 3n })).code,
    'VERSION_NOT_FOUND',
  );
  const treasuryBefore = await chain.balance(TREASURY);
  await chain.ok(carol, 'BuyTrainingLicence', { model, datanet: id, version: 2n });
  assert.equal(
    (await chain.send(carol, 'BuyTrainingLicence', { model, datanet: id, version: 1n })).code,
    'ALREADY_LICENSED',
  );
  const c = await submit(carol, 'c1'); // version 3, accepted after the licence
  await chain.ok(owner, 'ApproveContribution', { contribution: c.id });

  const perRow = (fee * 10n ** 18n) / 7n;
  const remainder = fee - (perRow * 7n + 10n ** 18n - 1n) / 10n ** 18n;
  assert.equal(await chain.balance(TREASURY), treasuryBefore + remainder);
  const claimable = async (cid: Hex) =>
    ((await chain.query('datanets.contribution', { id: cid })) as { claimable: bigint }).claimable;
  assert.equal(await claimable(a.id), (3n * perRow) / 10n ** 18n);
  assert.equal(await claimable(b.id), (4n * perRow) / 10n ** 18n);
  assert.equal(await claimable(c.id), 0n);
  const before = await chain.balance(aliceAddr);
  const r = await chain.ok(alice, 'ClaimRewards', { contributions: [a.id] });
  assert.equal(await chain.balance(aliceAddr), before + (3n * perRow) / 10n ** 18n - r.gasUsed * GAS_PRICE);
  assert.equal(await claimable(a.id), 0n);
  assert.equal((await chain.send(alice, 'ClaimRewards', { contributions: [b.id] })).code, 'UNAUTHORIZED');
  assert.equal((await chain.send(alice, 'ClaimRewards', { contributions: [a.id] })).code, 'NOTHING_TO_CLAIM');
  assert.ok((await chain.balance(DATANET_REWARDS)) >= (4n * perRow) / 10n ** 18n);
  assert.deepEqual(await chain.invariants(), []);
});

test('queries: contributions by contributor, pending queue, list, licences', async () => {
  const { chain, id, submit } = await withDatanet();
  const a = await submit(alice, 'one');
  const b = await submit(alice, 'two');
  await submit(bob, 'three');
  await chain.ok(owner, 'ApproveContribution', { contribution: b.id });
  const mine = (await chain.query('datanets.contributions', { contributor: aliceAddr })) as {
    id: Hex;
    status: string;
  }[];
  assert.deepEqual(new Set(mine.map((c) => c.id)), new Set([a.id, b.id]));
  const pending = (await chain.query('datanets.pending', { datanet: id })) as {
    id: Hex;
    contributor: string;
  }[];
  assert.deepEqual(
    pending.map((p) => p.contributor),
    [aliceAddr, bobAddr],
  );
  const list = (await chain.query('datanets.list', { owner: ownerAddr })) as { id: Hex; name: string }[];
  assert.equal(list.length, 1);
  assert.equal(list[0]!.name, 'Test Datanet');
  await assert.rejects(chain.query('datanets.datanet', { id: 'nope' }), /32-byte hex id/);
});

test('credits stay solvent when claims floor a Δ spanning several credits (1-unit licence fees)', async () => {
  const { chain, id, submit } = await withDatanet({ trainingFee: 1n });
  const a = await submit(alice, 'r1\n\nr2\n\nr3'); // one contribution, 3 rows
  await chain.ok(owner, 'ApproveContribution', { contribution: a.id });
  for (const k of [bob, carol]) {
    const reg = await chain.ok(k, 'RegisterModel', { name: 'm', baseModel: 'base', description: '' });
    const model = eventAttr(reg, 'models.registered', 'model') as Hex;
    await chain.ok(k, 'BuyTrainingLicence', { model, datanet: id, version: 1n });
  }
  // each credit alone rounds to 0 for the row owner, two together to 1: the module must hold it
  const c = (await chain.query('datanets.contribution', { id: a.id })) as { claimable: bigint };
  assert.equal(c.claimable, 1n);
  assert.deepEqual(await chain.invariants(), []);
  await chain.ok(alice, 'ClaimRewards', { contributions: [a.id] });
  assert.deepEqual(await chain.invariants(), []);
});

test('an appeal (governance ReverseSlash) returns a flagged contribution’s bond and lowers the penalty score', async () => {
  const bond = 7n * OPEN;
  const { chain, submit } = await withDatanet({ contributorBond: bond });
  const a = await submit(alice, 'disputed row');
  await chain.ok(owner, 'ApproveContribution', { contribution: a.id });
  const flag = await chain.ok(owner, 'FlagContribution', { contribution: a.id, reason: 'redundant' });
  const slashId = BigInt(eventAttr(flag, 'slashing.hold', 'id'));
  assert.equal(
    ((await chain.query('datanets.penalty', { address: aliceAddr })) as { score: bigint }).score,
    1n,
  );
  const before = await chain.balance(aliceAddr);
  await chain.gov('ReverseSlash', { slashId });
  assert.equal(await chain.balance(aliceAddr), before + bond);
  assert.equal(
    ((await chain.query('datanets.penalty', { address: aliceAddr })) as { score: bigint }).score,
    0n,
  );
  assert.deepEqual(await chain.invariants(), []);
});
