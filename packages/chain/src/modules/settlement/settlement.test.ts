import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Address, fromHex, type Hex, OPEN, recoverAddress, sha256, toHex, utf8 } from '@openledger/core';
import { hashTypedData } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { FEE_COLLECTOR, TREASURY } from '../bank/keeper.js';
import { DISTRIBUTION } from '../distribution/keeper.js';
import { FEEDBACK_POOL } from '../feedback/state.js';
import { CHAIN_ID, eventAttr, GAS_PRICE } from '../shared/testkit.js';
import { address, key, market, RATE_IN, RATE_OUT, receiptResults } from './fixture.js';
import { SETTLEMENT_ESCROW, SETTLEMENT_REWARDS } from './state.js';
import { hashUsage, hashVoucher, USAGE_TYPES, VOUCHER_TYPES } from './vouchers.js';

const claimable = async (
  m: { chain: { query: (p: string, a: Record<string, unknown>) => Promise<unknown> } },
  who: Address,
) => ((await m.chain.query('settlement.claimable', { address: who })) as { balance: bigint }).balance;

test('DESIGN §4.6 vector 2 settles on chain to the base unit', async () => {
  const m = await market({ params: { 'settlement.platformFee': 500000000000000007n } });
  const { chain } = m;
  const before = {
    escrow: await chain.balance(SETTLEMENT_ESCROW),
    treasury: await chain.balance(TREASURY),
    distribution: await chain.balance(DISTRIBUTION),
    pool: await chain.balance(FEEDBACK_POOL),
  };
  const r = m.receipt({
    version: m.v2,
    inputTokens: 333n,
    outputTokens: 777n,
    weights: [
      { contributor: address('carol'), ppm: 416_667n },
      { contributor: address('bob'), ppm: 333_333n },
      { contributor: address('alice'), ppm: 250_000n },
    ],
    fallbackPpm: 0n,
  });
  const tx = await chain.ok(key('operator'), 'SettleInference', { receipts: [r] });
  assert.deepEqual(
    receiptResults(tx).map((x) => x.status),
    ['ok'],
  );
  assert.equal(await chain.balance(SETTLEMENT_ESCROW), before.escrow - 890720000000003596n);
  assert.equal(await chain.balance(TREASURY), before.treasury + 450000000000000011n);
  assert.equal(await chain.balance(DISTRIBUTION), before.distribution + 39072000000000358n);
  assert.equal(await chain.balance(FEEDBACK_POOL), before.pool + 50000000000000000n);
  assert.equal(await claimable(m, address('alice')), 19536000000000179n);
  assert.equal(await claimable(m, address('bob')), 26047973952000238n);
  assert.equal(await claimable(m, address('carol')), 32560026048000298n);
  assert.equal(await claimable(m, address('owner')), 232478400000002136n);
  assert.equal(await claimable(m, address('operator')), 41025600000000376n);
  const id = receiptResults(tx)[0]!.receipt!;
  assert.equal(id, toHex(hashVoucher(CHAIN_ID, r)));
  const stored = (await chain.query('settlement.receipt', { id })) as {
    fee: bigint;
    params: { maxAttributed: bigint };
  };
  assert.equal(stored.fee, 890720000000003596n);
  assert.equal(stored.params.maxAttributed, 16n);
  // claims pay the claimable balance
  const ownerBefore = await chain.balance(address('owner'));
  const claim = await chain.ok(key('owner'), 'ClaimRewards', { contributions: [] });
  assert.equal(
    await chain.balance(address('owner')),
    ownerBefore + 232478400000002136n - claim.gasUsed * GAS_PRICE,
  );
  assert.equal(await claimable(m, address('owner')), 0n);
  assert.deepEqual(await chain.invariants(), []);
});

test('the fallback is credited through the pinned version’s Fenwick tree; later rows do not earn', async () => {
  const m = await market({ trainingFee: 0n });
  const { chain } = m;
  const treasury0 = await chain.balance(TREASURY);
  const r = m.receipt({ version: m.v1, inputTokens: 1000n, outputTokens: 1000n, fallbackPpm: 1_000_000n });
  const tx = await chain.ok(key('operator'), 'SettleInference', { receipts: [r] });
  const fallback = BigInt(eventAttr(tx, 'settlement.settled', 'fallback'));
  const tokenCharge = (1000n * RATE_IN + 1000n * RATE_OUT) / 1000n;
  assert.equal(fallback, (tokenCharge * 2000n) / 10_000n);
  // v1 pins version 2 of the Datanet: 3 rows (alice 2, bob 1); carol (version 3) earns nothing
  const perRow = (fallback * 10n ** 18n) / 3n;
  const [alice, bob, carol] = m.contributions as [Hex, Hex, Hex];
  const c = async (id: Hex) =>
    ((await chain.query('datanets.contribution', { id })) as { claimable: bigint }).claimable;
  assert.equal(await c(alice), (2n * perRow) / 10n ** 18n);
  assert.equal(await c(bob), (1n * perRow) / 10n ** 18n);
  assert.equal(await c(carol), 0n);
  const settledTreasury = BigInt(eventAttr(tx, 'settlement.settled', 'treasury'));
  const creditRemainder = fallback - (perRow * 3n + 10n ** 18n - 1n) / 10n ** 18n;
  assert.equal(await chain.balance(TREASURY), treasury0 + settledTreasury + creditRemainder);
  const summary = (await chain.query('settlement.claimable', { address: address('alice') })) as {
    datanetTotal: bigint;
  };
  assert.equal(summary.datanetTotal, (2n * perRow) / 10n ** 18n);
  const aliceBefore = await chain.balance(address('alice'));
  const claim = await chain.ok(key('alice'), 'ClaimRewards', { contributions: [alice] });
  assert.equal(
    await chain.balance(address('alice')),
    aliceBefore + (2n * perRow) / 10n ** 18n - claim.gasUsed * GAS_PRICE,
  );
  assert.deepEqual(await chain.invariants(), []);
});

test('bad receipts fail on their own with clear codes; honest receipts of the batch still settle', async () => {
  const m = await market();
  const { chain } = m;
  const unpublished = await chain.ok(key('owner'), 'PublishModelVersion', {
    model: m.model,
    adapterHash: toHex(sha256(utf8('x'))),
    datanets: [],
    trainingConfigHash: toHex(sha256(utf8('c'))),
    tokenizerHash: m.tokenizerHash,
    chatTemplateHash: toHex(sha256(utf8('t'))),
    evaluation: [],
    rateInPer1k: RATE_IN,
    rateOutPer1k: RATE_OUT,
    operators: [address('operator')],
    operatorShareBps: 0n,
  });
  const notDeployed = eventAttr(unpublished, 'models.published', 'version') as Hex;
  const replayed = m.receipt({ version: m.v1 });
  const cases: Array<[string, ReturnType<typeof m.receipt>]> = [
    ['ok', m.receipt({ version: m.v1 })],
    [
      'WEIGHTS_DO_NOT_SUM',
      m.receipt({
        version: m.v1,
        weights: [{ contributor: address('alice'), ppm: 10n }],
        fallbackPpm: 999_000n,
      }),
    ],
    [
      'NO_ACCEPTED_ROWS',
      m.receipt({
        version: m.v1,
        weights: [{ contributor: address('carol'), ppm: 10n }],
        fallbackPpm: 999_990n,
      }),
    ],
    ['FEE_OVER_MAX', m.receipt({ version: m.v1, maxFee: 1n })],
    ['TOKENS_OVER_CAP', m.receipt({ version: m.v1, maxOutputTokens: 776n })],
    ['VOUCHER_EXPIRED', m.receipt({ version: m.v1, expiry: chain.time - 4_000n })],
    ['WRONG_OPERATOR', m.receipt({ version: m.v1, operator: address('bob') })],
    ['VERSION_NOT_DEPLOYED', m.receipt({ version: notDeployed })],
    ['INVALID_VOUCHER_SIGNATURE', m.receipt({ version: m.v1, signer: key('bob') })],
    ['INVALID_USAGE_SIGNATURE', m.receipt({ version: m.v1, operatorKey: key('bob') })],
    [
      'INVALID_WEIGHTS',
      m.receipt({
        version: m.v1,
        weights: [
          { contributor: address('alice'), ppm: 10n },
          { contributor: address('bob'), ppm: 20n },
        ],
        fallbackPpm: 999_970n,
      }),
    ],
    ['ok', replayed],
    ['REPLAYED_REQUEST', replayed],
    [
      'ok',
      m.receipt({
        version: m.v2,
        weights: [{ contributor: address('carol'), ppm: 500_000n }],
        fallbackPpm: 500_000n,
      }),
    ],
  ];
  const escrow0 = await chain.balance(SETTLEMENT_ESCROW);
  const tx = await chain.ok(key('operator'), 'SettleInference', { receipts: cases.map(([, r]) => r) });
  const results = receiptResults(tx);
  assert.deepEqual(
    results.map((r) => (r.status === 'ok' ? 'ok' : r.code)),
    cases.map(([c]) => c),
  );
  const fees = tx.events
    .filter((e) => e.type === 'settlement.settled')
    .map((e) => BigInt(Object.fromEntries(e.attributes).fee!));
  assert.equal(fees.length, 3);
  assert.equal(await chain.balance(SETTLEMENT_ESCROW), escrow0 - fees.reduce((a, b) => a + b, 0n));
  // replay across batches too
  const again = await chain.ok(key('operator'), 'SettleInference', { receipts: [replayed] });
  assert.equal(receiptResults(again)[0]!.code, 'REPLAYED_REQUEST');
  assert.deepEqual(await chain.invariants(), []);
});

test('rates out of bounds and deploying a model that is not Approved are refused', async () => {
  const m = await market();
  const { chain } = m;
  const base = {
    model: m.model,
    adapterHash: toHex(sha256(utf8('x'))),
    datanets: [{ datanet: m.datanet, version: 1n }],
    trainingConfigHash: toHex(sha256(utf8('c'))),
    tokenizerHash: m.tokenizerHash,
    chatTemplateHash: toHex(sha256(utf8('t'))),
    evaluation: [],
    rateInPer1k: RATE_IN,
    rateOutPer1k: RATE_OUT,
    operators: [address('operator')],
    operatorShareBps: 0n,
  };
  assert.equal(
    (await chain.send(key('owner'), 'PublishModelVersion', { ...base, rateOutPer1k: 1_001n * OPEN })).code,
    'RATE_OUT_OF_BOUNDS',
  );
  const reg = await chain.ok(key('bob'), 'RegisterModel', { name: 'b', baseModel: 'base', description: '' });
  const other = eventAttr(reg, 'models.registered', 'model') as Hex;
  assert.equal(
    (await chain.send(key('bob'), 'PublishModelVersion', { ...base, model: other })).code,
    'NO_LICENCE',
  );
  const p = await chain.ok(key('bob'), 'PublishModelVersion', { ...base, model: other, datanets: [] });
  const version = eventAttr(p, 'models.published', 'version') as Hex;
  assert.equal((await chain.send(key('bob'), 'DeployModelVersion', { version })).code, 'MODEL_NOT_APPROVED');
  assert.equal(
    (await chain.send(key('bob'), 'ApproveModel', { model: other, grant: 0n, grantAtApproval: 0n })).code,
    'UNAUTHORIZED',
  );
});

test('escrow withdrawal waits voucherLifetime + settlementGrace; receipts still draw meanwhile', async () => {
  const m = await market();
  const { chain } = m;
  await chain.ok(key('payer'), 'RequestEscrowWithdrawal', { amount: 9_000n * OPEN });
  const early = await chain.send(key('payer'), 'WithdrawEscrow', {});
  assert.equal(early.code, 'WITHDRAWAL_NOT_READY');
  const tx = await chain.ok(key('operator'), 'SettleInference', { receipts: [m.receipt({ version: m.v1 })] });
  const fee = BigInt(eventAttr(tx, 'settlement.settled', 'fee'));
  await chain.advance(3_600n + 3_600n);
  const before = await chain.balance(address('payer'));
  const w = await chain.ok(key('payer'), 'WithdrawEscrow', {});
  assert.equal(await chain.balance(address('payer')), before + 9_000n * OPEN - w.gasUsed * GAS_PRICE);
  const e = (await chain.query('settlement.escrow', { payer: address('payer') })) as { balance: bigint };
  assert.equal(e.balance, 1_000n * OPEN - fee);
  assert.deepEqual(await chain.invariants(), []);
});

test('session keys sign vouchers within their cap; revocation takes effect after the delay', async () => {
  const m = await market();
  const { chain } = m;
  const session = address('session');
  await chain.ok(key('payer'), 'AuthorizeSessionKey', {
    key: session,
    maxFeePerRequest: 2n * OPEN,
    expiry: chain.time + 100_000n,
  });
  const ok = m.receipt({ version: m.v1, signer: key('session') });
  const overCap = m.receipt({
    version: m.v1,
    signer: key('session'),
    inputTokens: 4_000n,
    outputTokens: 4_000n,
  });
  const t1 = await chain.ok(key('operator'), 'SettleInference', { receipts: [ok, overCap] });
  assert.deepEqual(
    receiptResults(t1).map((r) => r.code ?? r.status),
    ['ok', 'FEE_OVER_SESSION_CAP'],
  );
  await chain.ok(key('payer'), 'RevokeSessionKey', { key: session });
  const stillValid = await chain.ok(key('operator'), 'SettleInference', {
    receipts: [m.receipt({ version: m.v1, signer: key('session') })],
  });
  assert.equal(receiptResults(stillValid)[0]!.status, 'ok');
  await chain.advance(7_200n);
  const late = await chain.ok(key('operator'), 'SettleInference', {
    receipts: [m.receipt({ version: m.v1, signer: key('session') })],
  });
  assert.equal(receiptResults(late)[0]!.code, 'SESSION_KEY_REVOKED');
});

test('an unbonding operator may not settle; its bond is paid out after challengeWindow + unbondMargin', async () => {
  const m = await market();
  const { chain } = m;
  await chain.ok(key('operator'), 'BondOperator', { amount: OPEN });
  await chain.ok(key('operator'), 'UnbondOperator', { amount: OPEN });
  const nonce0 = ((await chain.query('auth.nonce', { address: address('operator') })) as { nonce: bigint })
    .nonce;
  const r = await chain.send(key('operator'), 'SettleInference', {
    receipts: [m.receipt({ version: m.v1 })],
  });
  assert.equal(r.status, 'failed');
  assert.equal(r.code, 'OPERATOR_UNBONDING');
  assert.equal(
    ((await chain.query('auth.nonce', { address: address('operator') })) as { nonce: bigint }).nonce,
    nonce0 + 1n,
  );
  const before = await chain.balance(address('operator'));
  await chain.advance(7n * 86_400n + 86_400n);
  assert.equal(await chain.balance(address('operator')), before + OPEN);
  const bond = (await chain.query('settlement.operator', { address: address('operator') })) as {
    unbonding: bigint;
  };
  assert.equal(bond.unbonding, 0n);
  const after = await chain.ok(key('operator'), 'SettleInference', {
    receipts: [m.receipt({ version: m.v1 })],
  });
  assert.equal(receiptResults(after)[0]!.status, 'ok');
  assert.deepEqual(await chain.invariants(), []);
});

test('request ids are pruned once their vouchers can no longer settle', async () => {
  const m = await market();
  const { chain } = m;
  const r = m.receipt({ version: m.v1, expiry: chain.time + 10n });
  await chain.ok(key('operator'), 'SettleInference', { receipts: [r] });
  const seen = (await chain.query('settlement.request', {
    payer: address('payer'),
    requestId: r.requestId,
  })) as { seen: boolean };
  assert.equal(seen.seen, true);
  await chain.advance(10n + 3_600n + 5n);
  const pruned = (await chain.query('settlement.request', {
    payer: address('payer'),
    requestId: r.requestId,
  })) as { seen: boolean };
  assert.equal(pruned.seen, false);
  const again = await chain.ok(key('operator'), 'SettleInference', { receipts: [r] });
  assert.equal(receiptResults(again)[0]!.code, 'VOUCHER_EXPIRED');
});

test('retiring takes effect voucherLifetime after it is sent', async () => {
  const m = await market();
  const { chain } = m;
  await chain.ok(key('owner'), 'RetireModelVersion', { version: m.v1 });
  const retireAt = chain.time + 3_600n;
  const before = m.receipt({ version: m.v1, expiry: retireAt - 1n });
  const atRetire = m.receipt({ version: m.v1, expiry: retireAt });
  const t = await chain.ok(key('operator'), 'SettleInference', { receipts: [before, atRetire] });
  assert.deepEqual(
    receiptResults(t).map((r) => r.code ?? r.status),
    ['ok', 'VERSION_NOT_DEPLOYED'],
  );
});

test('penalised contributors are cut by penaltyCutBps above the threshold; the cut goes to the treasury', async () => {
  const m = await market({ params: { 'datanets.penaltyThreshold': 0n } });
  const { chain } = m;
  await chain.gov('FlagContribution', { contribution: m.contributions[1], reason: 'redundant' }); // bob
  const t = await chain.ok(key('operator'), 'SettleInference', {
    receipts: [
      m.receipt({
        version: m.v1,
        inputTokens: 1000n,
        outputTokens: 1000n,
        weights: [
          { contributor: address('alice'), ppm: 500_000n },
          { contributor: address('bob'), ppm: 500_000n },
        ],
        fallbackPpm: 0n,
      }),
    ],
  });
  assert.equal(receiptResults(t)[0]!.status, 'ok');
  const pool = (((1000n * RATE_IN + 1000n * RATE_OUT) / 1000n) * 2000n) / 10_000n;
  assert.equal(await claimable(m, address('alice')), pool / 2n);
  assert.equal(await claimable(m, address('bob')), pool / 2n / 2n);
});

test('property: for random receipts, credits sum exactly to the fees and supply is conserved', async () => {
  const m = await market();
  const { chain } = m;
  const supply0 = await chain.supply();
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const tracked = [
    SETTLEMENT_ESCROW,
    SETTLEMENT_REWARDS,
    TREASURY,
    FEEDBACK_POOL,
    FEE_COLLECTOR,
    DISTRIBUTION,
    (await import('../datanets/keeper.js')).DATANET_REWARDS,
  ];
  for (let round = 0; round < 8; round++) {
    const before = await Promise.all(tracked.map((a) => chain.balance(a)));
    const receipts = [];
    for (let i = 0; i < 6; i++) {
      const version = rand(2) ? m.v1 : m.v2;
      const candidates = version === m.v1 ? ['alice', 'bob'] : ['alice', 'bob', 'carol'];
      const chosen = candidates.filter(() => rand(2) === 1) as ('alice' | 'bob' | 'carol')[];
      let left = 1_000_000n;
      const weights = chosen.map((c) => {
        const ppm = BigInt(1 + rand(Number(left / 2n)));
        left -= ppm;
        return { contributor: address(c), ppm };
      });
      weights.sort((a, b) =>
        a.ppm > b.ppm
          ? -1
          : a.ppm < b.ppm
            ? 1
            : a.contributor.toLowerCase() < b.contributor.toLowerCase()
              ? -1
              : 1,
      );
      receipts.push(
        m.receipt({
          version,
          inputTokens: BigInt(rand(4000)),
          outputTokens: BigInt(rand(4000)),
          weights,
          fallbackPpm: left,
        }),
      );
    }
    const tx = await chain.ok(key('operator'), 'SettleInference', { receipts });
    assert.ok(
      receiptResults(tx).every((r) => r.status === 'ok'),
      JSON.stringify(receiptResults(tx)),
    );
    const after = await Promise.all(tracked.map((a) => chain.balance(a)));
    const gas = tx.gasUsed * GAS_PRICE;
    // the escrow lost exactly what the other accounts gained (fee collector: minus the gas)
    const lost = before[0]! - after[0]!;
    const gained = after.slice(1).reduce((s, v, i) => s + v - before[i + 1]!, 0n) - gas;
    assert.equal(gained, lost);
    const fees = tx.events
      .filter((e) => e.type === 'settlement.settled')
      .reduce((s, e) => s + BigInt(Object.fromEntries(e.attributes).fee!), 0n);
    assert.equal(lost, fees);
    assert.equal(await chain.supply(), supply0);
    assert.deepEqual(await chain.invariants(), []);
  }
});

test('Voucher and Usage digests equal viem’s EIP-712 hashes; signatures recover to the signer', async () => {
  const m = await market();
  const r = m.receipt({ version: m.v1 });
  const domain = { name: 'OpenLedger', version: '1', chainId: CHAIN_ID } as const;
  const voucher = {
    payer: r.payer,
    operator: r.operator,
    modelVersion: r.modelVersion,
    requestId: r.requestId,
    maxInputTokens: r.maxInputTokens,
    maxOutputTokens: r.maxOutputTokens,
    maxFee: r.maxFee,
    expiry: r.expiry,
  };
  const usage = {
    payer: r.payer,
    requestId: r.requestId,
    modelVersion: r.modelVersion,
    promptHash: r.promptHash,
    outputHash: r.outputHash,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    evidenceHash: r.evidenceHash,
  };
  const viemTypes = (t: unknown) => t as Record<string, { name: string; type: string }[]>;
  const viemVoucher = hashTypedData({
    domain,
    types: viemTypes(VOUCHER_TYPES),
    primaryType: 'Voucher',
    message: voucher,
  });
  assert.equal(toHex(hashVoucher(CHAIN_ID, voucher)), viemVoucher);
  const viemUsage = hashTypedData({
    domain,
    types: viemTypes(USAGE_TYPES),
    primaryType: 'Usage',
    message: usage,
  });
  assert.equal(toHex(hashUsage(CHAIN_ID, usage)), viemUsage);
  // a wallet's eth_signTypedData_v4 signature is accepted as is
  const wallet = privateKeyToAccount(key('payer'));
  const signature = await wallet.signTypedData({
    domain,
    types: viemTypes(VOUCHER_TYPES),
    primaryType: 'Voucher',
    message: voucher,
  });
  assert.equal(recoverAddress(fromHex(viemVoucher), fromHex(signature)), address('payer'));
  const t = await m.chain.ok(key('operator'), 'SettleInference', {
    receipts: [{ ...r, voucherSignature: signature }],
  });
  assert.equal(receiptResults(t)[0]!.status, 'ok');
});
