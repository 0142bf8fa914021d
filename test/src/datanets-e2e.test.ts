/**
 * End to end through a real node (issue 5): a Datanet with three contributors, a licence, a model
 * approved by a governance vote, two versions pinning different Datanet versions, deployed, a batch
 * of receipts settled against each, every party's balance checked to the base unit, claims paid.
 * Transactions go over HTTP JSON-RPC with the SDK; files and evidence through the node's blob store.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  DATANET_REWARDS,
  DISTRIBUTION,
  datanetsDevnetParams,
  FEEDBACK_POOL,
  feedbackDevnetParams,
  type GenesisConfig,
  modelsDevnetParams,
  SETTLEMENT_ESCROW,
  settlementDevnetParams,
  signUsage,
  signVoucher,
  splitFee,
  TREASURY,
} from '@openledger/chain';
import {
  type Address,
  type Hex,
  keccak256,
  OPEN,
  privateKeyToAddress,
  sha256,
  toHex,
  utf8,
} from '@openledger/core';
import { attachBlobStore, BlobStore, Node, startRpcServer } from '@openledger/node';
import { OpenLedgerClient, privateKeySigner, type Receipt, uploadBlob } from '@openledger/sdk';
import { defaultTokenizerPath } from '@openledger/tokenizer';
import { labelKey } from './fixture.js';

const ROLES = ['sequencer', 'curator', 'alice', 'bob', 'carol', 'owner', 'operator', 'payer'] as const;
type Role = (typeof ROLES)[number];
const KEY = Object.fromEntries(ROLES.map((r) => [r, labelKey(`e2e-${r}`)])) as Record<Role, Hex>;
const ADDR = Object.fromEntries(ROLES.map((r) => [r, privateKeyToAddress(KEY[r])])) as Record<Role, Address>;
const CHAIN_ID = 4712n;
const START = 1_700_000_000n;
const FEE_SCALE = 10n ** 18n;

function genesis(): GenesisConfig {
  return {
    chainId: CHAIN_ID,
    genesisTime: START,
    sequencer: ADDR.sequencer,
    accounts: [
      ...ROLES.map((r) => ({ address: ADDR[r], balance: 1_000_000n * OPEN })),
      { address: TREASURY, balance: 1_000_000n * OPEN },
    ],
    params: {
      ...datanetsDevnetParams(),
      ...modelsDevnetParams(),
      ...settlementDevnetParams(),
      ...feedbackDevnetParams(),
      'feedback.feedbackEpoch': 100_000n, // no epoch closes during the test
      'gov.votingDelay': 2n,
      'gov.votingPeriod': 10n,
      'gov.timelock': 2n,
      'gov.proposalThreshold': 1_000n * OPEN,
    },
  };
}

test('datanets → licence → governance approval → versions → settlement → claims, to the base unit', async () => {
  let clock = START;
  const node = await Node.open({ genesis: genesis(), sequencerKey: KEY.sequencer, now: () => (clock += 1n) });
  const blobs = await BlobStore.open(undefined);
  const service = attachBlobStore(node, blobs);
  const server = await startRpcServer(node, { port: 0, routes: service.routes, methods: service.methods });
  let stop = false;
  const producer = (async () => {
    while (!stop) {
      if (node.mempool.size > 0) await node.produceBlock();
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const c = new OpenLedgerClient(server.url);
  const gasSpent = Object.fromEntries(ROLES.map((r) => [r, 0n])) as Record<Role, bigint>;
  const tx = async (
    role: Role,
    kind: string,
    fields: Record<string, unknown>,
    gasLimit?: bigint,
  ): Promise<Receipt> => {
    const sent = await c.send(privateKeySigner(KEY[role]), kind, fields, gasLimit ? { gasLimit } : {});
    const r = await sent.wait({ timeoutMs: 20_000 });
    gasSpent[role] += r.gasUsed * r.gasPrice;
    assert.equal(r.status, 'ok', `${kind} by ${role}: ${r.code} ${r.error}`);
    return r;
  };
  const ev = (r: Receipt, type: string, key: string) =>
    r.events.find((e) => e.type === type)!.attributes.find(([k]) => k === key)![1];
  const balance = async (a: Address) => (await c.getBalance(a)).balance;
  try {
    const initial = Object.fromEntries(
      await Promise.all(ROLES.map(async (r) => [r, await balance(ADDR[r])])),
    ) as Record<Role, bigint>;
    const treasury0 = await balance(TREASURY);

    // 1. a Datanet with three contributors (versions 1, 2, 3)
    const trainingFee = 50n * OPEN + 1n;
    const created = await tx('curator', 'CreateDatanet', {
      name: 'Glossary',
      summary: 'definitions',
      description: '# Glossary',
      tags: ['demo'],
      visibility: 'public',
      license: 'CC-BY-4.0',
      curators: [],
      trainingFee,
      contributorBond: 0n,
      allowList: [],
    });
    const datanet = ev(created, 'datanets.created', 'datanet') as Hex;
    const files: Record<'alice' | 'bob' | 'carol', string> = {
      alice: 'Attribution credits contributors.\n\nA Datanet holds rows.',
      bob: 'A licence pays for training.',
      carol: 'Vouchers cap the fee.\n\nOperators sign usage.\n\nReceipts settle in batches.',
    };
    const contributionIds: Hex[] = [];
    const rows: bigint[] = [];
    for (const who of ['alice', 'bob', 'carol'] as const) {
      const bytes = utf8(files[who]);
      const up = await uploadBlob({ url: server.url, bytes, kind: 'contribution', name: `${who}.md` });
      const r = await tx(who, 'Contribute', {
        datanet,
        blobHash: up.hash,
        size: BigInt(up.size),
        rowCount: BigInt(up.rowCount!),
        rowsRoot: up.rowsRoot,
      });
      const id = ev(r, 'datanets.contributed', 'contribution') as Hex;
      await tx('curator', 'ApproveContribution', { contribution: id });
      contributionIds.push(id);
      rows.push(BigInt(up.rowCount!));
    }
    assert.deepEqual(rows, [2n, 1n, 3n]);

    // 2. tokenizer, model, licence on version 2 (alice's and bob's rows)
    const tok = await tx(
      'owner',
      'RegisterTokenizer',
      { vocabulary: toHex(readFileSync(defaultTokenizerPath())) },
      20_000_000n,
    );
    const tokenizerHash = ev(tok, 'models.tokenizerRegistered', 'hash') as Hex;
    const model = ev(
      await tx('owner', 'RegisterModel', { name: 'demo', baseModel: 'base', description: '' }),
      'models.registered',
      'model',
    ) as Hex;
    await tx('owner', 'BuyTrainingLicence', { model, datanet, version: 2n });

    // 3. approval by a governance vote (grant: 300 now, 700 at the first deploy)
    await tx('sequencer', 'GovLock', { amount: 100_000n * OPEN });
    const reg = await c.messageRegistry();
    const body = toHex(
      reg.encodeBody('ApproveModel', { model, grant: 1_000n * OPEN, grantAtApproval: 300n * OPEN }),
    );
    const proposed = await tx('sequencer', 'Propose', {
      title: 'Approve demo',
      description: '',
      messages: [{ kind: 'ApproveModel', body }],
    });
    const proposalId = BigInt(ev(proposed, 'gov.propose', 'id'));
    assert.equal(ev(proposed, 'gov.propose', 'treasury'), 'true'); // reserving treasury funds needs the treasury quorum
    clock += 3n;
    await node.produceBlock();
    await tx('sequencer', 'Vote', { proposalId, support: 1n });
    clock += 15n;
    await node.produceBlock();
    await tx('sequencer', 'ExecuteProposal', { proposalId });
    const m = await c.query<{ stage: string }>('models.model', { id: model });
    assert.equal(m.stage, 'Approved');

    // 4. two versions pinning different Datanet versions, both deployed
    const RATE_IN = 240_000_000_000_000_123n;
    const RATE_OUT = 400_000_000_000_004_567n;
    const publish = async (datanetVersion: bigint) => {
      const r = await tx('owner', 'PublishModelVersion', {
        model,
        adapterHash: toHex(sha256(utf8(`adapter ${datanetVersion}`))),
        datanets: [{ datanet, version: datanetVersion }],
        trainingConfigHash: toHex(sha256(utf8('config'))),
        tokenizerHash,
        chatTemplateHash: toHex(sha256(utf8('template'))),
        evaluation: [{ name: 'perplexity', value: '9.1' }],
        rateInPer1k: RATE_IN,
        rateOutPer1k: RATE_OUT,
        operators: [ADDR.operator],
        operatorShareBps: 1_500n,
      });
      const version = ev(r, 'models.published', 'version') as Hex;
      await tx('owner', 'DeployModelVersion', { version });
      return version;
    };
    const v1 = await publish(2n);
    const v2 = await publish(3n);

    // 5. operator bond, payer escrow, then one batch of receipts against each version
    await tx('operator', 'BondOperator', { amount: 1_000n * OPEN });
    const escrowFund = 100n * OPEN;
    await tx('payer', 'FundEscrow', { amount: escrowFund, operators: [ADDR.operator] });
    const makeReceipt = async (
      version: Hex,
      n: number,
      weights: { contributor: Address; ppm: bigint }[],
      fallbackPpm: bigint,
    ) => {
      const evidence = utf8(`evidence ${version} ${n}`);
      const uploaded = await uploadBlob({ url: server.url, bytes: evidence, kind: 'evidence' });
      const requestId = toHex(keccak256(utf8(`request ${version} ${n}`)));
      const voucher = {
        payer: ADDR.payer,
        operator: ADDR.operator,
        modelVersion: version,
        requestId,
        maxInputTokens: 2_000n,
        maxOutputTokens: 2_000n,
        maxFee: 10n * OPEN,
        expiry: clock + 200n,
      };
      const usage = {
        payer: ADDR.payer,
        requestId,
        modelVersion: version,
        promptHash: toHex(sha256(utf8(`prompt ${n}`))),
        outputHash: toHex(sha256(utf8(`output ${n}`))),
        inputTokens: BigInt(300 + 17 * n),
        outputTokens: BigInt(700 + 29 * n),
        evidenceHash: uploaded.hash,
      };
      return {
        ...voucher,
        voucherSignature: signVoucher(CHAIN_ID, voucher, KEY.payer),
        ...usage,
        usageSignature: signUsage(CHAIN_ID, usage, KEY.operator),
        weights,
        fallbackPpm,
      };
    };
    const batch1 = [
      await makeReceipt(
        v1,
        1,
        [
          { contributor: ADDR.alice, ppm: 600_000n },
          { contributor: ADDR.bob, ppm: 300_000n },
        ],
        100_000n,
      ),
      await makeReceipt(v1, 2, [], 1_000_000n),
    ];
    const batch2 = [
      await makeReceipt(
        v2,
        3,
        [
          { contributor: ADDR.carol, ppm: 500_000n },
          { contributor: ADDR.alice, ppm: 250_000n },
        ],
        250_000n,
      ),
      await makeReceipt(v2, 4, [{ contributor: ADDR.bob, ppm: 1_000_000n }], 0n),
    ];
    for (const batch of [batch1, batch2]) {
      const r = await tx('operator', 'SettleInference', { receipts: batch }, 5_000_000n);
      assert.deepEqual(
        r.events
          .filter((e) => e.type === 'settlement.receipt')
          .map((e) => Object.fromEntries(e.attributes).status),
        ['ok', 'ok'],
      );
    }

    // expected credits, recomputed independently from the fixed arithmetic
    const claim = Object.fromEntries(ROLES.map((r) => [r, 0n])) as Record<Role, bigint>;
    const perRowAt: Record<string, bigint> = { '2': 0n, '3': 0n }; // Σ reward-per-row credited at each version
    let treasuryIn = 0n;
    let stakers = 0n;
    let feedback = 0n;
    let fees = 0n;
    const rowsAt: Record<string, bigint> = { '2': 3n, '3': 6n };
    const credit = (version: bigint, amountIn: bigint) => {
      const perRow = (amountIn * FEE_SCALE) / rowsAt[String(version)]!;
      perRowAt[String(version)]! += perRow;
      treasuryIn += amountIn - (perRow * rowsAt[String(version)]! + FEE_SCALE - 1n) / FEE_SCALE;
    };
    credit(2n, trainingFee);
    const roleOf = (a: Address) => ROLES.find((r) => ADDR[r] === a)!;
    for (const [version, batch] of [
      [2n, batch1],
      [3n, batch2],
    ] as const) {
      for (const r of batch) {
        const s = splitFee({
          rateInPer1k: RATE_IN,
          rateOutPer1k: RATE_OUT,
          inputTokens: r.inputTokens,
          outputTokens: r.outputTokens,
          platformFee: OPEN / 2n,
          stakersBps: 1_000n,
          contributorsBps: 2_000n,
          ownerBps: 7_000n,
          operatorShareBps: 1_500n,
          feedbackShareBps: 1_000n,
          weights: r.weights.map((w) => ({ address: w.contributor, ppm: w.ppm, cutBps: 0n })),
          fallbackPpm: r.fallbackPpm,
        });
        fees += s.fee;
        stakers += s.stakers;
        feedback += s.feedbackPool;
        treasuryIn += s.treasury;
        claim.owner += s.owner;
        claim.operator += s.operator;
        for (const x of s.contributors) claim[roleOf(x.address)] += x.amount;
        credit(version, s.fallback);
      }
    }
    // Datanet credits per contribution: alice (v1) and bob (v2) earn at versions 2 and 3, carol (v3) at 3
    const datanetClaim = {
      alice: (2n * (perRowAt['2']! + perRowAt['3']!)) / FEE_SCALE,
      bob: (1n * (perRowAt['2']! + perRowAt['3']!)) / FEE_SCALE,
      carol: (3n * perRowAt['3']!) / FEE_SCALE,
    };
    for (const [i, who] of (['alice', 'bob', 'carol'] as const).entries()) {
      const onChain = await c.query<{ claimable: string }>('datanets.contribution', {
        id: contributionIds[i],
      });
      assert.equal(BigInt(onChain.claimable), datanetClaim[who], `${who}'s Datanet credit`);
    }
    for (const who of ['alice', 'bob', 'carol', 'owner', 'operator'] as const) {
      const q = await c.query<{ balance: string }>('settlement.claimable', { address: ADDR[who] });
      assert.equal(BigInt(q.balance), claim[who], `${who}'s claimable balance`);
    }
    const escrow = await c.query<{ balance: string }>('settlement.escrow', { payer: ADDR.payer });
    assert.equal(BigInt(escrow.balance), escrowFund - fees);
    assert.equal(await balance(SETTLEMENT_ESCROW), escrowFund - fees);
    assert.equal(await balance(DISTRIBUTION), stakers);
    assert.equal(await balance(FEEDBACK_POOL), feedback);

    // 6. claims
    for (const [i, who] of (['alice', 'bob', 'carol'] as const).entries()) {
      await tx(who, 'ClaimRewards', { contributions: [contributionIds[i]] });
    }
    await tx('owner', 'ClaimRewards', { contributions: [] });
    await tx('operator', 'ClaimRewards', { contributions: [] });

    // every party's balance to the base unit
    const deployFee = 100n * OPEN;
    const expected: Record<Role, bigint> = {
      sequencer: initial.sequencer - gasSpent.sequencer - 100_000n * OPEN, // gOPEN locked
      curator: initial.curator - gasSpent.curator,
      alice: initial.alice - gasSpent.alice + claim.alice + datanetClaim.alice,
      bob: initial.bob - gasSpent.bob + claim.bob + datanetClaim.bob,
      carol: initial.carol - gasSpent.carol + claim.carol + datanetClaim.carol,
      owner: initial.owner - gasSpent.owner - trainingFee - 2n * deployFee + 1_000n * OPEN + claim.owner,
      operator: initial.operator - gasSpent.operator - 1_000n * OPEN + claim.operator,
      payer: initial.payer - gasSpent.payer - escrowFund,
    };
    for (const r of ROLES) assert.equal(await balance(ADDR[r]), expected[r], `${r}'s balance`);
    assert.equal(await balance(TREASURY), treasury0 - 1_000n * OPEN + 2n * deployFee + treasuryIn);
    // what stays in the Datanet rewards account is only claim dust
    assert.ok((await balance(DATANET_REWARDS)) < 10n);
    const violations = await node.app.checkInvariants(node.store.latest(), {
      chainId: CHAIN_ID,
      height: node.height,
      time: clock,
      proposer: ADDR.sequencer,
    });
    assert.deepEqual(violations, []);
  } finally {
    stop = true;
    await producer;
    await server.close();
    await node.store.close();
  }
});
