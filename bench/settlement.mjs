#!/usr/bin/env node
// Settlement benchmark (JSON), DESIGN §4.4/§4.6, issue 5:
//  - receipts settled per second with 16 attributed contributors each (SettleInference batches through
//    App.applyBlock; signature recovery with @noble and, when it loads, the node's native libsecp256k1);
//  - cost (gas and wall time) of one receipt, one licence payment and one fallback credit in Datanets
//    holding 10 vs 100,000 contributors (goal: flat), and of a credit and a claim with 10 vs 10,000
//    versions (goal: logarithmic), with the log2 ratio as the baseline measured in the same run.
// Run: `npm run build && nice node bench/settlement.mjs [--quick]` (--quick: 10,000 instead of 100,000).
import { performance } from 'node:perf_hooks';
import {
  App,
  Ctx,
  chainModules,
  GasMeter,
  GOVERNANCE,
  InfiniteGasMeter,
  MemoryState,
  signTransaction,
  signUsage,
  signVoucher,
  TREASURY,
} from '../packages/chain/dist/index.js';
import {
  keccak256,
  OPEN,
  privateKeyToAddress,
  sha256,
  toChecksumAddress,
  toHex,
  utf8,
} from '../packages/core/dist/index.js';

const quick = process.argv.includes('--quick');
const LARGE = quick ? 10_000 : 100_000;
const CHAIN_ID = 1337n;
const T0 = 1_700_000_000n;
const key = (label) => toHex(keccak256(utf8(`bench ${label}`)));
const K = { curator: key('curator'), owner: key('owner'), operator: key('operator'), payer: key('payer') };
const A = Object.fromEntries(Object.entries(K).map(([k, v]) => [k, privateKeyToAddress(v)]));
const contributorAddress = (i) => toChecksumAddress(keccak256(utf8(`contributor ${i}`)).subarray(12));
const round = (x, d = 3) => Number(x.toFixed(d));

async function loadNative() {
  try {
    const { nativeRecoverAddress } = await import('../packages/node/dist/index.js');
    nativeRecoverAddress(new Uint8Array(32).fill(1), signVoucherProbe());
    return nativeRecoverAddress;
  } catch {
    return undefined;
  }
}
function signVoucherProbe() {
  return Buffer.from(signVoucher(CHAIN_ID, probeVoucher(), K.payer).slice(2), 'hex');
}
function probeVoucher() {
  return {
    payer: A.payer,
    operator: A.operator,
    modelVersion: `0x${'11'.repeat(32)}`,
    requestId: `0x${'22'.repeat(32)}`,
    maxInputTokens: 1n,
    maxOutputTokens: 1n,
    maxFee: 1n,
    expiry: 1n,
  };
}

/** A chain whose setup messages run directly through the router (no signatures), then committed. */
async function world(recoverSigner) {
  const app = new App(chainModules, recoverSigner ? { recoverSigner } : {});
  const state = new MemoryState();
  const g = await app.genesis(state, {
    chainId: CHAIN_ID,
    genesisTime: T0,
    sequencer: A.curator,
    accounts: [
      ...Object.values(A).map((address) => ({ address, balance: 10n ** 12n * OPEN })),
      { address: TREASURY, balance: 10n ** 9n * OPEN },
    ],
    params: {},
  });
  state.apply(g.writes);
  let height = 1;
  let time = T0;
  const info = () => ({ chainId: CHAIN_ID, height, time, proposer: A.curator });
  let ctx;
  const open = () => {
    height++;
    time += 1n;
    ctx = new Ctx(state, new InfiniteGasMeter(), info(), A.curator, app.keepers);
  };
  const commit = () => state.apply(ctx.state.writes);
  const run = async (sender, kind, fields) => {
    const c = ctx.child({ sender });
    await app.keepers.router.dispatch(c, kind, app.registry.normalize(kind, fields, false));
    c.commit();
  };
  const last = (type, attr) => {
    for (let i = ctx.events.length - 1; i >= 0; i--) {
      const e = ctx.events[i];
      if (e.type === type) return e.attributes.find(([k]) => k === attr)[1];
    }
    throw new Error(`no ${type}`);
  };
  /** Measures a message on the committed state: gas and mean wall time over `reps` runs (rolled back). */
  const measure = async (sender, kind, fieldsOf, reps = 20) => {
    const b = { chainId: CHAIN_ID, height: height + 1, time: time + 1n, proposer: A.curator };
    const inputs = Array.from({ length: reps }, (_, i) => app.registry.normalize(kind, fieldsOf(i), false));
    let gas = 0n;
    const t = performance.now();
    for (let i = 0; i < reps; i++) {
      const meter = new GasMeter(1n << 60n);
      const c = new Ctx(state, meter, b, sender, app.keepers);
      await app.keepers.router.dispatch(c, kind, inputs[i]);
      gas = meter.used;
    }
    return { gas: Number(gas), micros: round(((performance.now() - t) / reps) * 1000, 1) };
  };
  return { app, state, open, commit, run, last, measure, info: () => ({ height, time }) };
}

/** A Datanet with `n` single-row contributions from distinct contributors (versions 1..n). */
async function datanetWith(w, n, trainingFee = 10n * OPEN) {
  w.open();
  await w.run(A.curator, 'CreateDatanet', {
    name: `D${n}`,
    summary: '',
    description: '',
    tags: [],
    visibility: 'public',
    license: '',
    curators: [],
    trainingFee,
    contributorBond: 0n,
    allowList: [],
  });
  const id = w.last('datanets.created', 'datanet');
  for (let i = 0; i < n; i++) {
    const who = contributorAddress(i);
    const h = toHex(sha256(utf8(`blob ${n} ${i}`)));
    await w.run(who, 'Contribute', {
      datanet: id,
      blobHash: h,
      size: 100n,
      rowCount: 1n + BigInt(i % 3),
      rowsRoot: h,
    });
    await w.run(A.curator, 'ApproveContribution', {
      contribution: w.last('datanets.contributed', 'contribution'),
    });
  }
  w.commit();
  return id;
}

/** A deployed model version pinning `datanet@version`, with the operator bonded and the payer's escrow funded. */
async function modelOn(w, pins, tokenizerHash) {
  w.open();
  await w.run(A.owner, 'RegisterModel', { name: 'm', baseModel: 'b', description: '' });
  const model = w.last('models.registered', 'model');
  for (const p of pins)
    await w.run(A.owner, 'BuyTrainingLicence', { model, datanet: p.datanet, version: p.version });
  await w.run(GOVERNANCE, 'ApproveModel', { model, grant: 0n, grantAtApproval: 0n });
  await w.run(A.owner, 'PublishModelVersion', {
    model,
    adapterHash: toHex(sha256(utf8('a'))),
    datanets: pins,
    trainingConfigHash: toHex(sha256(utf8('c'))),
    tokenizerHash,
    chatTemplateHash: toHex(sha256(utf8('t'))),
    evaluation: [],
    rateInPer1k: OPEN / 4n,
    rateOutPer1k: OPEN / 2n,
    operators: [A.operator],
    operatorShareBps: 1_000n,
  });
  const version = w.last('models.published', 'version');
  await w.run(A.owner, 'DeployModelVersion', { version });
  w.commit();
  return { model, version };
}

let requestSeq = 0;
function receipt(w, version, weights, fallbackPpm) {
  const requestId = toHex(keccak256(utf8(`request ${requestSeq++}`)));
  const voucher = {
    payer: A.payer,
    operator: A.operator,
    modelVersion: version,
    requestId,
    maxInputTokens: 4096n,
    maxOutputTokens: 4096n,
    maxFee: 1_000n * OPEN,
    expiry: w.info().time + 200n,
  };
  const usage = {
    payer: A.payer,
    requestId,
    modelVersion: version,
    promptHash: requestId,
    outputHash: requestId,
    inputTokens: 512n,
    outputTokens: 256n,
    evidenceHash: requestId,
  };
  return {
    ...voucher,
    voucherSignature: signVoucher(CHAIN_ID, voucher, K.payer),
    ...usage,
    usageSignature: signUsage(CHAIN_ID, usage, K.operator),
    weights,
    fallbackPpm,
  };
}

function weightsFor(n) {
  const addrs = Array.from({ length: n }, (_, i) => contributorAddress(i));
  const each = 900_000n / BigInt(n);
  const ws = addrs.map((contributor) => ({ contributor, ppm: each }));
  ws.sort((a, b) => (a.contributor.toLowerCase() < b.contributor.toLowerCase() ? -1 : 1));
  return { weights: ws, fallbackPpm: 1_000_000n - each * BigInt(n) };
}

async function prepareMarket(w) {
  w.open();
  const { readFileSync } = await import('node:fs');
  const { defaultTokenizerPath } = await import('../packages/tokenizer/dist/index.js');
  await w.run(A.owner, 'RegisterTokenizer', { vocabulary: toHex(readFileSync(defaultTokenizerPath())) });
  const tokenizerHash = w.last('models.tokenizerRegistered', 'hash');
  await w.run(A.operator, 'BondOperator', { amount: 100_000n * OPEN });
  await w.run(A.payer, 'FundEscrow', { amount: 10n ** 11n * OPEN, operators: [A.operator] });
  w.commit();
  return tokenizerHash;
}

async function throughput(recoverSigner, label) {
  const w = await world(recoverSigner);
  const tokenizerHash = await prepareMarket(w);
  const datanet = await datanetWith(w, 16);
  const { version } = await modelOn(w, [{ datanet, version: 16n }], tokenizerHash);
  const { weights, fallbackPpm } = weightsFor(16);
  const BATCH = 64;
  const BLOCKS = quick ? 3 : 6;
  let nonce = 0n;
  let settled = 0;
  let elapsed = 0;
  let gasPerReceipt = 0;
  for (let b = 0; b < BLOCKS; b++) {
    const receipts = Array.from({ length: BATCH }, () => receipt(w, version, weights, fallbackPpm));
    const tx = signTransaction(
      w.app.registry,
      CHAIN_ID,
      'SettleInference',
      { receipts, from: A.operator, nonce: nonce++, gasLimit: 150_000_000n, gasPrice: 1_000_000_000n },
      K.operator,
    );
    const p = w.app.prepareTx(w.app.registry.encodeTx(tx));
    const { height, time } = w.info();
    const t = performance.now();
    const result = await w.app.applyBlock(
      w.state,
      { chainId: CHAIN_ID, height: height + 1 + b, time: time + 1n + BigInt(b), proposer: A.curator },
      [p],
      'verify',
    );
    elapsed += performance.now() - t;
    w.state.apply(result.writes);
    const r = result.receipts[0];
    if (r.status !== 'ok') throw new Error(`${r.code} ${r.error}`);
    const ok = r.events.filter(
      (e) => e.type === 'settlement.receipt' && e.attributes.some(([k, v]) => k === 'status' && v === 'ok'),
    ).length;
    if (ok !== BATCH) throw new Error(`only ${ok} of ${BATCH} receipts settled`);
    settled += ok;
    if (b === 0) gasPerReceipt = Number(r.gasUsed) / BATCH;
  }
  return {
    signatures: label,
    attributed: 16,
    batch: BATCH,
    receiptsPerSecond: round(settled / (elapsed / 1000), 1),
    gasPerReceipt: Math.round(gasPerReceipt),
  };
}

/** Receipt, licence and fallback credit costs in a Datanet of `n` contributors, pinned at version `pinned`. */
async function costsWith(n, pinned) {
  const w = await world();
  const tokenizerHash = await prepareMarket(w);
  const datanet = await datanetWith(w, n);
  const { version } = await modelOn(w, [{ datanet, version: BigInt(pinned) }], tokenizerHash);
  const { weights, fallbackPpm } = weightsFor(Math.min(10, pinned));
  const receiptCost = await w.measure(A.operator, 'SettleInference', () => ({
    receipts: [receipt(w, version, weights, fallbackPpm)],
  }));
  // a licence for a fresh model each time, credited at version `pinned`
  w.open();
  const models = [];
  for (let i = 0; i < 20; i++) {
    await w.run(A.owner, 'RegisterModel', { name: `l${i}`, baseModel: 'b', description: '' });
    models.push(w.last('models.registered', 'model'));
  }
  w.commit();
  const licenceCost = await w.measure(A.owner, 'BuyTrainingLicence', (i) => ({
    model: models[i],
    datanet,
    version: BigInt(pinned),
  }));
  // a fallback credit alone: the keeper call settlement makes for each pinned version
  const b = { chainId: CHAIN_ID, height: w.info().height + 1, time: w.info().time + 1n, proposer: A.curator };
  const reps = 50;
  let gas = 0n;
  const t = performance.now();
  for (let i = 0; i < reps; i++) {
    const meter = new GasMeter(1n << 60n);
    const c = new Ctx(w.state, meter, b, A.payer, w.app.keepers);
    await w.app.keepers.datanets.creditVersion(c, datanet, BigInt(pinned), 123_456_789n, A.payer);
    gas = meter.used;
  }
  const creditCost = { gas: Number(gas), micros: round(((performance.now() - t) / reps) * 1000, 1) };
  // a claim by the first contribution: walks the tree up to the latest version
  const first = await w.app.query({ state: w.state, height: w.info().height }, 'datanets.versions', {
    datanet,
    from: 1,
    limit: 1,
  });
  const claimCtx = () => new Ctx(w.state, new GasMeter(1n << 60n), b, contributorAddress(0), w.app.keepers);
  const c0 = await w.app.keepers.datanets.contribution(claimCtx(), first[0].contribution);
  const cc = claimCtx();
  const tc = performance.now();
  await w.app.keepers.datanets.claimContribution(cc, c0);
  const claimCost = { gas: Number(cc.gas.used), micros: round((performance.now() - tc) * 1000, 1) };
  return {
    contributors: n,
    versions: n,
    pinnedVersion: pinned,
    receipt: receiptCost,
    licence: licenceCost,
    fallbackCredit: creditCost,
    claimFirstContribution: claimCost,
  };
}

const native = await loadNative();
const out = { benchmark: 'settlement', quick, throughput: [] };
out.throughput.push(await throughput(undefined, '@noble/curves'));
if (native) out.throughput.push(await throughput(native, 'native libsecp256k1'));

const t0 = performance.now();
const small = await costsWith(10, 10);
const large = await costsWith(LARGE, 10);
const setupSeconds = round((performance.now() - t0) / 1000, 1);
out.contributors = {
  goal: 'flat: same gas for 10 and many contributors (pinned at version 10)',
  small,
  large,
  gasRatio: {
    receipt: round(large.receipt.gas / small.receipt.gas),
    licence: round(large.licence.gas / small.licence.gas),
    fallbackCredit: round(large.fallbackCredit.gas / small.fallbackCredit.gas),
  },
  timeRatio: {
    receipt: round(large.receipt.micros / small.receipt.micros),
    licence: round(large.licence.micros / small.licence.micros),
    fallbackCredit: round(large.fallbackCredit.micros / small.fallbackCredit.micros),
  },
  setupSeconds,
};
const v10 = await costsWith(10, 10);
const v10k = await costsWith(10_000, 10_000);
out.versions = {
  goal: 'logarithmic: credit and claim grow with log2(versions) (baseline ratio below)',
  v10: { credit: v10.fallbackCredit, licence: v10.licence, claim: v10.claimFirstContribution },
  v10000: { credit: v10k.fallbackCredit, licence: v10k.licence, claim: v10k.claimFirstContribution },
  log2Ratio: round(Math.log2(10_000) / Math.log2(10)),
  linearRatio: 1000,
  gasRatio: {
    credit: round(v10k.fallbackCredit.gas / v10.fallbackCredit.gas),
    licence: round(v10k.licence.gas / v10.licence.gas),
    claim: round(v10k.claimFirstContribution.gas / v10.claimFirstContribution.gas),
  },
};
console.log(JSON.stringify(out, null, 2));
