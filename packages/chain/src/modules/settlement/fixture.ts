import { readFileSync } from 'node:fs';
import { type Address, type Hex, keccak256, OPEN, sha256, toHex, utf8 } from '@openledger/core';
import { defaultTokenizerPath } from '@openledger/tokenizer';
import {
  ADDRS,
  CHAIN_ID,
  contributionOf,
  DEFAULT_DATANET,
  eventAttr,
  KEYS,
  type TestChain,
  testChain,
} from '../shared/testkit.js';
import type { InferenceReceipt } from './settleInference.js';
import { signUsage, signVoucher } from './vouchers.js';

/**
 * A ready market for settlement tests and benchmarks: a Datanet with three contributors, a model
 * approved with a licence, two versions pinning different Datanet versions, both deployed, a bonded
 * operator and a funded payer escrow. Not part of the public API.
 */
export const ROLES = {
  curator: 0,
  alice: 1,
  bob: 2,
  carol: 3,
  owner: 5,
  operator: 6,
  payer: 7,
  session: 8,
} as const;

export const key = (role: keyof typeof ROLES): Hex => KEYS[ROLES[role]]!;
export const address = (role: keyof typeof ROLES): Address => ADDRS[ROLES[role]]!;

export const RATE_IN = 240_000_000_000_000_123n;
export const RATE_OUT = 400_000_000_000_004_567n;

export type Market = Awaited<ReturnType<typeof market>>;

export async function market(
  opts: { params?: Record<string, bigint>; trainingFee?: bigint; operatorShareBps?: bigint } = {},
) {
  const chain: TestChain = await testChain({ params: opts.params ?? {} });
  const created = await chain.ok(key('curator'), 'CreateDatanet', {
    ...DEFAULT_DATANET,
    trainingFee: opts.trainingFee ?? 100n * OPEN,
  });
  const datanet = eventAttr(created, 'datanets.created', 'datanet') as Hex;
  const contributions: Hex[] = [];
  for (const [role, text] of [
    ['alice', 'Alice wrote the first row.\n\nAnd a second one.'],
    ['bob', 'Bob has one row only.'],
    ['carol', 'Carol brings three.\n\nRows of text.\n\nFor the later version.'],
  ] as const) {
    const c = contributionOf(text);
    const r = await chain.ok(key(role), 'Contribute', {
      datanet,
      blobHash: c.blobHash,
      size: c.size,
      rowCount: c.rowCount,
      rowsRoot: c.rowsRoot,
    });
    const id = eventAttr(r, 'datanets.contributed', 'contribution') as Hex;
    await chain.ok(key('curator'), 'ApproveContribution', { contribution: id });
    contributions.push(id);
  }
  const vocabulary = readFileSync(defaultTokenizerPath());
  const tok = await chain.ok(
    key('owner'),
    'RegisterTokenizer',
    { vocabulary: toHex(vocabulary) },
    50_000_000n,
  );
  const tokenizerHash = eventAttr(tok, 'models.tokenizerRegistered', 'hash') as Hex;
  const reg = await chain.ok(key('owner'), 'RegisterModel', {
    name: 'demo',
    baseModel: 'openledger-base',
    description: 'test',
  });
  const model = eventAttr(reg, 'models.registered', 'model') as Hex;
  await chain.ok(key('owner'), 'BuyTrainingLicence', { model, datanet, version: 2n });
  await chain.gov('ApproveModel', { model, grant: 1_000n * OPEN, grantAtApproval: 400n * OPEN });
  const publish = async (datanetVersion: bigint) => {
    const r = await chain.ok(key('owner'), 'PublishModelVersion', {
      model,
      adapterHash: toHex(sha256(utf8(`adapter ${datanetVersion}`))),
      datanets: [{ datanet, version: datanetVersion }],
      trainingConfigHash: toHex(sha256(utf8('config'))),
      tokenizerHash,
      chatTemplateHash: toHex(sha256(utf8('template'))),
      evaluation: [{ name: 'perplexity', value: '12.5' }],
      rateInPer1k: RATE_IN,
      rateOutPer1k: RATE_OUT,
      operators: [address('operator')],
      operatorShareBps: opts.operatorShareBps ?? 1_500n,
    });
    const version = eventAttr(r, 'models.published', 'version') as Hex;
    await chain.ok(key('owner'), 'DeployModelVersion', { version });
    return version;
  };
  const v1 = await publish(2n); // pins alice + bob
  const v2 = await publish(3n); // pins alice + bob + carol
  await chain.ok(key('operator'), 'BondOperator', { amount: 10_000n * OPEN });
  await chain.ok(key('payer'), 'FundEscrow', { amount: 10_000n * OPEN, operators: [address('operator')] });

  let requestCounter = 0;
  /** A signed receipt (voucher by the payer unless `signer` is given, usage by the operator). */
  const receipt = (p: {
    version: Hex;
    inputTokens?: bigint;
    outputTokens?: bigint;
    weights?: { contributor: Address; ppm: bigint }[];
    fallbackPpm?: bigint;
    maxFee?: bigint;
    maxInputTokens?: bigint;
    maxOutputTokens?: bigint;
    expiry?: bigint;
    requestId?: Hex;
    operator?: Address;
    signer?: Hex;
    operatorKey?: Hex;
  }): InferenceReceipt => {
    const requestId = p.requestId ?? toHex(keccak256(utf8(`request ${requestCounter++}`)));
    const voucher = {
      payer: address('payer'),
      operator: p.operator ?? address('operator'),
      modelVersion: p.version,
      requestId,
      maxInputTokens: p.maxInputTokens ?? 4_096n,
      maxOutputTokens: p.maxOutputTokens ?? 4_096n,
      maxFee: p.maxFee ?? 100n * OPEN,
      expiry: p.expiry ?? chain.time + 200n,
    };
    const usage = {
      payer: voucher.payer,
      requestId,
      modelVersion: p.version,
      promptHash: toHex(sha256(utf8(`prompt ${requestId}`))),
      outputHash: toHex(sha256(utf8(`output ${requestId}`))),
      inputTokens: p.inputTokens ?? 333n,
      outputTokens: p.outputTokens ?? 777n,
      evidenceHash: toHex(sha256(utf8(`evidence ${requestId}`))),
    };
    return {
      ...voucher,
      voucherSignature: signVoucher(CHAIN_ID, voucher, p.signer ?? key('payer')),
      ...usage,
      usageSignature: signUsage(CHAIN_ID, usage, p.operatorKey ?? key('operator')),
      weights: p.weights ?? [],
      fallbackPpm: p.fallbackPpm ?? 1_000_000n,
    };
  };
  return { chain, datanet, contributions, model, tokenizerHash, v1, v2, receipt };
}

/** The per-receipt results of a SettleInference transaction, in order. */
export function receiptResults(r: { events: { type: string; attributes: Array<[string, string]> }[] }) {
  return r.events
    .filter((e) => e.type === 'settlement.receipt')
    .map(
      (e) =>
        Object.fromEntries(e.attributes) as {
          status: string;
          code?: string;
          receipt?: string;
          requestId: string;
        },
    );
}
