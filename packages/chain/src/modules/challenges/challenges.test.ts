import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  attributeSpans,
  buildEvidence,
  bytesToHex,
  type ChallengeClaim,
  type CreditedSpan,
  DatanetRows,
  type Evidence,
  encodeEvidence,
  RowsCorpus,
  type Hex as RulesHex,
  type TokenRow,
} from '@openledger/attribution/rules';
import { type Address, fromHex, type Hex, keccak256, OPEN, sha256, toHex, utf8 } from '@openledger/core';
import { defaultTokenizerPath, loadDefaultTokenizer } from '@openledger/tokenizer';
import { OPERATOR_BONDS } from '../settlement/state.js';
import { signUsage, signVoucher } from '../settlement/vouchers.js';
import {
  ADDRS,
  CHAIN_ID,
  contributionOf,
  DEFAULT_DATANET,
  eventAttr,
  GAS_PRICE,
  KEYS,
  testChain,
} from '../shared/testkit.js';
import { SLASHED } from '../slashing/keeper.js';
import { correctedWeights, fieldsFromClaim } from './claims.js';
import { CHALLENGES } from './state.js';

const tok = loadDefaultTokenizer();
const R = { curator: 0, alice: 1, bob: 2, carol: 3, owner: 5, operator: 6, payer: 7, challenger: 8 } as const;
type Role = keyof typeof R;
const key = (r: Role): Hex => KEYS[R[r]]!;
const addr = (r: Role): Address => ADDRS[R[r]]!;

const COPPER =
  'Copper is a soft, malleable and ductile metal with very high thermal and electrical conductivity.';
const COMPILER =
  'A compiler translates source code written in a high level language into machine code for a processor.';
const TEXTS: [Role, string[]][] = [
  [
    'alice',
    ['The quick brown fox jumps over the lazy dog while the farmer sleeps under the old oak tree.', COPPER],
  ],
  [
    'bob',
    [
      COMPILER,
      'Photosynthesis converts light energy into chemical energy that fuels the activities of living organisms on land and in the sea.',
    ],
  ],
  [
    'carol',
    [COPPER, 'The river delta spreads its silt across the plain, feeding reeds, birds and fishermen.'],
  ],
];
const OUTPUT = `Note: ${COMPILER} Also, copper facts: ${COPPER} The end.`;
const PARAMS = { minSpanTokens: 8, maxSpans: 32, maxAttributed: 16 };
const BOND = 10_000n * OPEN;
const CHALLENGER_BOND = 100n * OPEN;

/** A market: one Datanet of three versions (carol's copies alice's copper row), a deployed model, a bonded operator. */
async function setup() {
  const chain = await testChain({
    params: { 'settlement.challengeWindow': 120n, 'settlement.minOperatorBond': 1_000n * OPEN },
  });
  const created = await chain.ok(key('curator'), 'CreateDatanet', DEFAULT_DATANET);
  const datanet = eventAttr(created, 'datanets.created', 'datanet') as Hex;
  const rows = new DatanetRows(datanet);
  for (const [role, texts] of TEXTS) {
    const c = contributionOf(texts.join('\n\n'));
    const r = await chain.ok(key(role), 'Contribute', {
      datanet,
      blobHash: c.blobHash,
      size: c.size,
      rowCount: c.rowCount,
      rowsRoot: c.rowsRoot,
    });
    await chain.ok(key('curator'), 'ApproveContribution', {
      contribution: eventAttr(r, 'datanets.contributed', 'contribution'),
    });
    rows.approve(addr(role), texts, BigInt(chain.height));
  }
  const tokReg = await chain.ok(
    key('owner'),
    'RegisterTokenizer',
    { vocabulary: toHex(readFileSync(defaultTokenizerPath())) },
    50_000_000n,
  );
  const tokenizerHash = eventAttr(tokReg, 'models.tokenizerRegistered', 'hash') as Hex;
  const reg = await chain.ok(key('owner'), 'RegisterModel', { name: 'm', baseModel: 'b', description: '' });
  const model = eventAttr(reg, 'models.registered', 'model') as Hex;
  await chain.ok(key('owner'), 'BuyTrainingLicence', { model, datanet, version: 3n });
  await chain.gov('ApproveModel', { model, grant: 0n, grantAtApproval: 0n });
  const pub = await chain.ok(key('owner'), 'PublishModelVersion', {
    model,
    adapterHash: toHex(sha256(utf8('adapter'))),
    datanets: [{ datanet, version: 3n }],
    trainingConfigHash: toHex(sha256(utf8('config'))),
    tokenizerHash,
    chatTemplateHash: toHex(sha256(utf8('template'))),
    evaluation: [],
    rateInPer1k: OPEN,
    rateOutPer1k: 2n * OPEN,
    operators: [addr('operator')],
    operatorShareBps: 1_000n,
  });
  const version = eventAttr(pub, 'models.published', 'version') as Hex;
  await chain.ok(key('owner'), 'DeployModelVersion', { version });
  await chain.ok(key('operator'), 'BondOperator', { amount: BOND });
  await chain.ok(key('payer'), 'FundEscrow', { amount: 1_000n * OPEN, operators: [addr('operator')] });

  const tokenRows: TokenRow[] = [];
  for (const c of rows.contributions) {
    c.rows.forEach((row, i) => {
      tokenRows.push({
        datanet: rows.id,
        rowIndex: BigInt(c.firstRow + i),
        approvalHeight: c.approvalHeight,
        contributor: c.contributor,
        tokens: tok.encode(new TextDecoder().decode(row)),
      });
    });
  }
  const corpus = new RowsCorpus(tokenRows);
  const outputIds = tok.encode(OUTPUT);
  const honestSpans = attributeSpans(outputIds, corpus, corpus, PARAMS);
  const withProofs = (spans: CreditedSpan[]) =>
    spans.map((s) => ({ ...s, rowProof: rows.rowProof(Number(s.rowIndex), 3) }));
  /** Evidence over the given credited spans (weights follow from them). */
  const evidenceOf = (spans: CreditedSpan[]): Evidence =>
    buildEvidence({
      tokenizerHash: tokenizerHash as RulesHex,
      modelVersion: version as RulesHex,
      datanetVersions: [{ id: rows.id, version: 3n, root: bytesToHex(rows.root(3)) }],
      outputTokenIds: outputIds,
      counts: corpus,
      spans: withProofs(spans),
      params: PARAMS,
    });

  let n = 0;
  /** Settles a receipt for `evidence` (receipt weights = the evidence's unless given); returns its id. */
  const settle = async (
    evidence: Evidence | Uint8Array,
    opts: {
      weights?: { contributor: Address; ppm: bigint }[];
      fallbackPpm?: bigint;
      inputTokens?: bigint;
      outputTokens?: bigint;
      prompt?: string;
    } = {},
  ) => {
    const bytes = evidence instanceof Uint8Array ? evidence : encodeEvidence(evidence);
    const e = evidence instanceof Uint8Array ? undefined : evidence;
    const requestId = toHex(keccak256(utf8(`request ${n++}`)));
    const voucher = {
      payer: addr('payer'),
      operator: addr('operator'),
      modelVersion: version,
      requestId,
      maxInputTokens: 4_096n,
      maxOutputTokens: 4_096n,
      maxFee: 100n * OPEN,
      expiry: chain.time + 200n,
    };
    const usage = {
      payer: voucher.payer,
      requestId,
      modelVersion: version,
      promptHash: toHex(sha256(utf8(opts.prompt ?? 'What is copper?'))),
      outputHash: toHex(sha256(utf8(OUTPUT))),
      inputTokens:
        opts.inputTokens ??
        BigInt(tok.encode(opts.prompt ?? 'What is copper?', { allowSpecial: true }).length),
      outputTokens: opts.outputTokens ?? BigInt(outputIds.length),
      evidenceHash: toHex(sha256(bytes)),
    };
    const receipt = {
      ...voucher,
      voucherSignature: signVoucher(CHAIN_ID, voucher, key('payer')),
      ...usage,
      usageSignature: signUsage(CHAIN_ID, usage, key('operator')),
      weights:
        opts.weights ?? e!.weights.map(([a, ppm]) => ({ contributor: a as Address, ppm: BigInt(ppm) })),
      fallbackPpm: opts.fallbackPpm ?? BigInt(e!.fallbackPpm),
    };
    const tx = await chain.ok(key('operator'), 'SettleInference', { receipts: [receipt] });
    const result = tx.events.find((x) => x.type === 'settlement.receipt')!;
    const status = result.attributes.find(([k]) => k === 'status')![1];
    assert.equal(status, 'ok', JSON.stringify(result.attributes));
    return { id: result.attributes.find(([k]) => k === 'receipt')![1] as Hex, bytes };
  };

  const claimable = async (who: Address) =>
    ((await chain.query('settlement.claimable', { address: who })) as { balance: bigint }).balance;
  const operatorBond = async () =>
    ((await chain.query('settlement.operator', { address: addr('operator') })) as { bonded: bigint }).bonded;
  /** Sends a challenge and returns the receipt of the transaction. */
  const challenge = (receipt: Hex, bytes: Uint8Array, claim: ChallengeClaim, from: Role = 'challenger') =>
    chain.send(key(from), 'ChallengeReceipt', fieldsFromClaim(receipt, bytes, claim), 50_000_000n);
  const cite = (rowIndex: number) => ({
    datanet: rows.id,
    rowIndex: BigInt(rowIndex),
    row: rows.row(rowIndex),
    proof: rows.rowProof(rowIndex, 3),
  });
  return {
    chain,
    rows,
    datanet,
    version,
    tokenizerHash,
    outputIds,
    honestSpans,
    evidenceOf,
    settle,
    claimable,
    operatorBond,
    challenge,
    cite,
  };
}

const ev = (r: { events: { type: string; attributes: [string, string][] }[] }, type: string) => {
  const e = r.events.find((x) => x.type === type);
  return e ? Object.fromEntries(e.attributes) : undefined;
};

test('the honest evidence credits the compiler span to bob and the copper span to alice (earliest row)', async () => {
  const m = await setup();
  const e = m.evidenceOf(m.honestSpans);
  assert.equal(e.spans.length, 2);
  assert.deepEqual(
    e.spans.map((s) => s.rowProof.contributor),
    [addr('bob').toLowerCase(), addr('alice').toLowerCase()],
  );
  assert.equal(e.fallbackPpm, 0);
});

test('a failed challenge pays its gas and loses its bond; nothing else changes', async () => {
  const m = await setup();
  const { id, bytes } = await m.settle(m.evidenceOf(m.honestSpans));
  const before = {
    supply: await m.chain.supply(),
    challenger: await m.chain.balance(addr('challenger')),
    bond: await m.operatorBond(),
    alice: await m.claimable(addr('alice')),
    bob: await m.claimable(addr('bob')),
    slashed: await m.chain.balance(SLASHED),
  };
  for (const claim of [
    { condition: 'c' },
    { condition: 'a', span: 0, row: m.cite(2) },
    { condition: 'b', span: 1, row: m.cite(1) },
    { condition: 'e', span: 1, row: m.cite(4), rowOffset: 0 }, // carol's copy comes later: not earlier
  ] as ChallengeClaim[]) {
    const r = await m.challenge(id, bytes, claim);
    assert.equal(r.status, 'ok', r.error);
    const failed = ev(r, 'challenges.failed');
    assert.ok(failed, `claim ${claim.condition} must fail`);
    assert.equal(failed.burned, String(CHALLENGER_BOND));
  }
  const gasPaid = before.challenger - (await m.chain.balance(addr('challenger'))) - 4n * CHALLENGER_BOND;
  assert.ok(gasPaid > 0n && gasPaid % GAS_PRICE === 0n, 'the challenger paid gas');
  assert.equal(await m.chain.supply(), before.supply - 4n * CHALLENGER_BOND, 'only the bonds burned');
  assert.equal(await m.operatorBond(), before.bond);
  assert.equal(await m.claimable(addr('alice')), before.alice);
  assert.equal(await m.claimable(addr('bob')), before.bob);
  assert.equal(await m.chain.balance(SLASHED), before.slashed);
  assert.equal(await m.chain.balance(CHALLENGES), 0n);
  const listed = (await m.chain.query('challenges.byReceipt', { receipt: id })) as { proven: boolean }[];
  assert.deepEqual(
    listed.map((c) => c.proven),
    [false, false, false, false],
  );
  assert.deepEqual(await m.chain.invariants(), []);
});

test('(c) wrong receipt weights: slash, re-credit by the corrected weights, reward and hold — to the base unit', async () => {
  const m = await setup();
  const honest = m.evidenceOf(m.honestSpans);
  // the operator keeps the honest evidence but settles everything to carol
  const { id, bytes } = await m.settle(honest, {
    weights: [{ contributor: addr('carol'), ppm: 1_000_000n }],
    fallbackPpm: 0n,
  });
  const receipt = (await m.chain.query('settlement.receipt', { id })) as { contributorsPool: bigint };
  const pool = receipt.contributorsPool;
  assert.ok(pool > 0n);
  const before = {
    supply: await m.chain.supply(),
    challenger: await m.chain.balance(addr('challenger')),
    alice: await m.claimable(addr('alice')),
    bob: await m.claimable(addr('bob')),
    carol: await m.claimable(addr('carol')),
    slashed: await m.chain.balance(SLASHED),
    bonds: await m.chain.balance(OPERATOR_BONDS),
  };
  const r = await m.challenge(id, bytes, { condition: 'c' });
  assert.equal(r.status, 'ok', r.error);
  const proven = ev(r, 'challenges.proven');
  assert.ok(proven, JSON.stringify(ev(r, 'challenges.failed')));

  // expected, by hand from DESIGN §4.2: slash 10% of the bond; re-credit pool × ppm / 1e6 per contributor
  const slash = (BOND * 1_000n) / 10_000n;
  const weights = new Map(honest.weights.map(([a, ppm]) => [a, BigInt(ppm)]));
  const aliceDue = (pool * weights.get(addr('alice').toLowerCase() as RulesHex)!) / 1_000_000n;
  const bobDue = (pool * weights.get(addr('bob').toLowerCase() as RulesHex)!) / 1_000_000n;
  const recredited = aliceDue + bobDue;
  const reward = ((slash - recredited) * 5_000n) / 10_000n;
  const held = slash - recredited - reward;
  assert.equal(proven.slashed, String(slash));
  assert.equal(proven.recredited, String(recredited));
  assert.equal(proven.reward, String(reward));
  assert.equal(proven.held, String(held));
  assert.equal(await m.operatorBond(), BOND - slash);
  assert.equal(await m.chain.balance(OPERATOR_BONDS), before.bonds - slash);
  assert.equal(await m.claimable(addr('alice')), before.alice + aliceDue);
  assert.equal(await m.claimable(addr('bob')), before.bob + bobDue);
  assert.equal(await m.claimable(addr('carol')), before.carol, 'credits already made stay');
  assert.equal(await m.chain.balance(SLASHED), before.slashed + held);
  const gas = r.gasUsed * GAS_PRICE;
  assert.equal(
    await m.chain.balance(addr('challenger')),
    before.challenger - gas + reward,
    'bond back + reward',
  );
  assert.equal(await m.chain.supply(), before.supply, 'a proven challenge burns nothing now');
  assert.equal(await m.chain.balance(CHALLENGES), 0n);
  assert.deepEqual(await m.chain.invariants(), []);

  // slashed once: a second challenge of the same receipt is refused, its bond untouched
  const again = await m.challenge(id, bytes, { condition: 'c' });
  assert.equal(again.status, 'failed');
  assert.equal(again.code, 'ALREADY_PROVEN');

  // the held remainder burns after the appeal window
  const supply = await m.chain.supply();
  await m.chain.advance(14n * 86_400n + 1n);
  assert.equal(await m.chain.supply(), supply - held);
});

test('(c) evidence weights that do not follow the rule prove the claim', async () => {
  const m = await setup();
  const e = m.evidenceOf(m.honestSpans);
  const forged: Evidence = {
    ...e,
    weights: [[addr('bob').toLowerCase() as RulesHex, 1_000_000]],
    fallbackPpm: 0,
  };
  const { id, bytes } = await m.settle(forged);
  const r = await m.challenge(id, bytes, { condition: 'c' });
  assert.match(ev(r, 'challenges.proven')!.reason!, /evidence weights differ from the rule/);
});

test('(a) a span whose row tokens differ from the output, (b) a span past its row’s end', async () => {
  const m = await setup();
  const [compiler, copper] = m.honestSpans as [CreditedSpan, CreditedSpan];
  // the compiler span credited to bob's other row (a valid proof of a row that does not hold it)
  const shifted = m.evidenceOf([{ ...compiler, rowIndex: compiler.rowIndex + 1n }, copper]);
  const a = await m.settle(shifted);
  const ra = await m.challenge(a.id, a.bytes, {
    condition: 'a',
    span: 0,
    row: m.cite(Number(compiler.rowIndex) + 1),
  });
  assert.match(ev(ra, 'challenges.proven')!.reason!, /differ from the output/);
  // corrected weights drop the false span: everything to alice
  assert.deepEqual(
    correctedWeights({ condition: 'a', span: 0, row: m.cite(2) }, shifted, PARAMS, 0, () => 1n).weights.map(
      (w) => w[0],
    ),
    [addr('alice').toLowerCase()],
  );

  const past = m.evidenceOf([compiler, { ...copper, rowOffset: copper.rowOffset + 50 }]);
  const b = await m.settle(past);
  const rb = await m.challenge(b.id, b.bytes, {
    condition: 'b',
    span: 1,
    row: m.cite(Number(copper.rowIndex)),
  });
  assert.match(ev(rb, 'challenges.proven')!.reason!, /ends at token/);
});

test('(d) an omitted span that the greedy selection keeps', async () => {
  const m = await setup();
  const [compiler, copper] = m.honestSpans as [CreditedSpan, CreditedSpan];
  const omitted = m.evidenceOf([compiler]); // consistent weights: bob 100%
  const { id, bytes } = await m.settle(omitted);
  assert.equal(
    (await m.challenge(id, bytes, { condition: 'c' })).events.some((e) => e.type === 'challenges.failed'),
    true,
  );
  const aliceBefore = await m.claimable(addr('alice'));
  const r = await m.challenge(id, bytes, {
    condition: 'd',
    outputOffset: copper.outputOffset,
    length: copper.length,
    row: m.cite(Number(copper.rowIndex)),
    rowOffset: copper.rowOffset,
  });
  assert.ok(ev(r, 'challenges.proven'), JSON.stringify(ev(r, 'challenges.failed')));
  assert.ok((await m.claimable(addr('alice'))) > aliceBefore, 'alice is re-credited');
});

test('(e) a span credited to a later copy of an earlier row', async () => {
  const m = await setup();
  const [compiler, copper] = m.honestSpans as [CreditedSpan, CreditedSpan];
  // carol's copy of the copper row is row 4 (alice's original is row 1)
  const stolen = m.evidenceOf([
    compiler,
    { ...copper, rowIndex: 4n, contributor: addr('carol').toLowerCase() as RulesHex },
  ]);
  const { id, bytes } = await m.settle(stolen);
  const carolBefore = await m.claimable(addr('carol'));
  const aliceBefore = await m.claimable(addr('alice'));
  const r = await m.challenge(id, bytes, {
    condition: 'e',
    span: 1,
    row: m.cite(1),
    rowOffset: copper.rowOffset,
  });
  assert.match(ev(r, 'challenges.proven')!.reason!, /precedes the credited row/);
  assert.ok((await m.claimable(addr('alice'))) > aliceBefore, 'the earliest contributor is re-credited');
  assert.equal(await m.claimable(addr('carol')), carolBefore);
});

test('malformed proofs fail and burn the bond: a tampered row, an oversized row, wrong evidence, a bad condition', async () => {
  const m = await setup();
  const { id, bytes } = await m.settle(m.evidenceOf(m.honestSpans));
  const tampered = m.cite(2);
  tampered.row = utf8('A compiler translates source code into something else entirely.');
  const cases: [Record<string, unknown>, RegExp][] = [
    [fieldsFromClaim(id, bytes, { condition: 'a', span: 0, row: tampered }), /row proof|rowsRoot|root/i],
    [
      fieldsFromClaim(id, bytes, {
        condition: 'a',
        span: 0,
        row: { ...m.cite(2), row: new Uint8Array(3_000).fill(97) },
      }),
      /bytes; a row has/,
    ],
    [fieldsFromClaim(id, utf8('not the evidence'), { condition: 'c' }), /does not hash/],
    [{ ...fieldsFromClaim(id, bytes, { condition: 'c' }), condition: 'z' }, /condition must be one of/],
    [{ ...fieldsFromClaim(id, bytes, { condition: 'c' }), condition: 'a' }, /cites exactly one row/],
  ];
  const supply = await m.chain.supply();
  for (const [fields, reason] of cases) {
    const r = await m.chain.send(key('challenger'), 'ChallengeReceipt', fields, 50_000_000n);
    assert.equal(r.status, 'ok', r.error);
    const failed = ev(r, 'challenges.failed');
    assert.ok(failed, JSON.stringify(r.events.map((e) => e.type)));
    assert.match(failed.reason!, reason);
  }
  assert.equal(await m.chain.supply(), supply - BigInt(cases.length) * CHALLENGER_BOND);
  assert.equal(await m.operatorBond(), BOND);
});

test('refused without a bond change: unknown receipt, closed window, no funds for the bond', async () => {
  const m = await setup();
  const { id, bytes } = await m.settle(m.evidenceOf(m.honestSpans));
  const unknown = await m.challenge(toHex(sha256(utf8('nope'))), bytes, { condition: 'c' });
  assert.equal(unknown.code, 'RECEIPT_NOT_FOUND');
  await m.chain.advance(121n);
  const before = await m.chain.balance(addr('challenger'));
  const late = await m.challenge(id, bytes, { condition: 'c' });
  assert.equal(late.status, 'failed');
  assert.equal(late.code, 'CHALLENGE_WINDOW_CLOSED');
  assert.equal(await m.chain.balance(addr('challenger')), before - late.gasUsed * GAS_PRICE, 'only gas');
});

test('the payer’s token-count challenge: an inflated count is refunded from the slash; right counts fail', async () => {
  const m = await setup();
  const prompt = '<|user|>What is copper?<|assistant|>';
  const realIn = BigInt(tok.encode(prompt, { allowSpecial: true }).length);
  const { id } = await m.settle(m.evidenceOf(m.honestSpans), { prompt, inputTokens: realIn + 1_000n });
  const notPayer = await m.chain.send(key('challenger'), 'ChallengeTokenCount', {
    receipt: id,
    prompt,
    output: OUTPUT,
  });
  assert.equal(notPayer.code, 'NOT_PAYER');
  const wrongReveal = await m.chain.send(key('payer'), 'ChallengeTokenCount', {
    receipt: id,
    prompt: 'other',
    output: OUTPUT,
  });
  assert.match(ev(wrongReveal, 'challenges.failed')!.reason!, /does not hash/);
  const before = await m.claimable(addr('payer'));
  const r = await m.chain.send(
    key('payer'),
    'ChallengeTokenCount',
    { receipt: id, prompt, output: OUTPUT },
    50_000_000n,
  );
  const proven = ev(r, 'challenges.proven');
  assert.ok(proven, JSON.stringify(ev(r, 'challenges.failed')));
  const refund = (1_000n * OPEN) / 1000n; // 1,000 extra input tokens at 1 OPEN per 1,000
  assert.equal(proven.recredited, String(refund));
  assert.equal(await m.claimable(addr('payer')), before + refund);

  const honest = await m.settle(m.evidenceOf(m.honestSpans), { prompt });
  const right = await m.chain.send(key('payer'), 'ChallengeTokenCount', {
    receipt: honest.id,
    prompt,
    output: OUTPUT,
  });
  assert.match(ev(right, 'challenges.failed')!.reason!, /counts are right/);
  assert.deepEqual(await m.chain.invariants(), []);
});

test('fieldsFromClaim round-trips through the message codec', async () => {
  const m = await setup();
  const bytes = encodeEvidence(m.evidenceOf(m.honestSpans));
  const fields = fieldsFromClaim(toHex(sha256(bytes)), bytes, {
    condition: 'e',
    span: 1,
    row: m.cite(1),
    rowOffset: 3,
  });
  const normalized = m.chain.app.registry.normalize(
    'ChallengeReceipt',
    { ...fields, from: addr('alice'), nonce: 0n, gasLimit: 1n, gasPrice: 1n },
    true,
  ) as Record<string, unknown>;
  assert.equal((normalized.rows as { row: string }[])[0]!.row, toHex(m.rows.row(1)));
  assert.deepEqual(fromHex(fields.evidence), bytes);
});
