#!/usr/bin/env node
// Chain benchmark (issue 2): signed transfers through the whole path on a state of 1,000,000
// accounts in a real on-disk StateStore, per-stage costs, block commit times, signer recovery rates
// (native libsecp256k1 on one core, @noble/curves, the worker-thread pool) and RPC requests/s
// against a bare node:http baseline. Prints one JSON object.
//   node bench/chain.mjs [--accounts 1000000] [--senders 2000] [--blocks 1000,10000,4000,4000,4000]
//                        [--rpc-requests 20000] [--threads N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  balanceKey,
  createApp,
  encodeReceipt,
  keyspace,
  resultsRoot,
  signHeader,
  txRoot,
} from '../packages/chain/dist/index.js';
import {
  encode,
  keccak256,
  OPEN,
  recoverAddress,
  toChecksumAddress,
  toHex,
  toHexRaw,
  utf8,
} from '../packages/core/dist/index.js';
import {
  encodeBlock,
  Node,
  nativeRecoverAddress,
  RECORD,
  RecoveryPool,
  startRpcServer,
} from '../packages/node/dist/index.js';
import { StateStore } from '../packages/store/dist/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ACCOUNTS = Number(arg('accounts', 1_000_000));
const SENDERS = Number(arg('senders', 2_000));
const BLOCKS = arg('blocks', '1000,10000,4000,4000,4000').split(',').map(Number);
const RPC_REQUESTS = Number(arg('rpc-requests', 20_000));
const THREADS = arg('threads') ? Number(arg('threads')) : undefined;
const GAS_PRICE = 1_000_000_000n;

const require = createRequire(import.meta.url);
const secp = require('secp256k1/bindings'); // native (the package's bindings entry has no JS fallback)
const now = () => process.hrtime.bigint();
const ms = (t0, t1 = now()) => Number(t1 - t0) / 1e6;
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

const out = {
  accounts: ACCOUNTS,
  senders: SENDERS,
  machine: { cpus: (await import('node:os')).availableParallelism(), node: process.version },
};

// ---------------------------------------------------------------- keys and accounts
const seqKey = toHex(keccak256(utf8('bench-sequencer')));
const keyOf = (i) => keccak256(utf8(`bench-account-${i}`));
const addrBytesOf = (priv) => keccak256(secp.publicKeyCreate(priv, false).subarray(1)).subarray(12);
const sequencer = toChecksumAddress(addrBytesOf(keccak256(utf8('bench-sequencer'))));
const senderKeys = Array.from({ length: SENDERS }, (_, i) => keyOf(i));
const senders = senderKeys.map((k) => toChecksumAddress(addrBytesOf(k)));
// the other accounts: addresses only (sha-256-like spread from keccak of the index)
const otherAddr = (i) => keccak256(utf8(`bench-holder-${i}`)).subarray(12);

const genesis = {
  chainId: 9_000n,
  genesisTime: 1_700_000_000n,
  sequencer,
  accounts: [{ address: sequencer, balance: 1_000n * OPEN }],
};

// ---------------------------------------------------------------- the state: 1M accounts on disk
const base = mkdtempSync(join(tmpdir(), 'ol-bench-'));
const dirA = join(base, 'sequencer');
const dirB = join(base, 'follower');
const dirC = join(base, 'stages');
process.on('exit', () => rmSync(base, { recursive: true, force: true }));
{
  const t0 = now();
  const node = await Node.open({ dataDir: dirA, genesis, sequencerKey: seqKey, recovery: false });
  let head = node.latestHeader;
  await node.close();
  const store = await StateStore.open(dirA);
  const balancePrefix = utf8('bank/b/');
  if (toHexRaw(balanceKey(senders[0])) !== toHexRaw(balancePrefix) + toHexRaw(addrBytesOf(senderKeys[0])))
    throw new Error('the balance key layout changed; update the bench');
  const supplyKey = toHexRaw(keyspace('bank')('supply'));
  let supply = 1_000n * OPEN;
  const BATCH = 100_000;
  for (let lo = 0; lo < ACCOUNTS; lo += BATCH) {
    const writes = new Map();
    for (let i = lo; i < Math.min(ACCOUNTS, lo + BATCH); i++) {
      const addr = i < SENDERS ? addrBytesOf(senderKeys[i]) : otherAddr(i);
      const bal = i < SENDERS ? 1_000_000n * OPEN : 1n * OPEN + BigInt(i);
      writes.set(toHexRaw(balancePrefix) + toHexRaw(addr), encode(bal));
      supply += bal;
    }
    writes.set(supplyKey, encode(supply));
    const prepared = await store.prepare(writes);
    const header = signHeader(
      {
        chainId: genesis.chainId,
        height: prepared.height,
        time: head.time,
        parentHash: head.hash,
        txRoot: txRoot([]),
        resultsRoot: resultsRoot([]),
        stateRoot: toHex(prepared.root),
        proposer: sequencer,
      },
      seqKey,
    );
    await prepared.commit({
      puts: [
        [RECORD.block(header.height), encodeBlock({ header, txs: [] })],
        [RECORD.blockByHash(header.hash), encode([BigInt(header.height), 0n])],
      ],
    });
    head = header;
  }
  await store.close();
  out.setup = {
    seconds: round(ms(t0) / 1000),
    note: 'accounts bulk-loaded by direct store commits of 100k keys (fixture blocks)',
  };
  execFileSync('cp', ['-r', dirA, dirB]);
  execFileSync('cp', ['-r', dirA, dirC]);
  out.setup.diskMB = Number(execFileSync('du', ['-sm', dirA]).toString().split('\t')[0]);
  log(`state of ${ACCOUNTS} accounts built in ${out.setup.seconds}s (${out.setup.diskMB} MB)`);
}

// ---------------------------------------------------------------- signed transfers
const app = createApp();
const registry = app.registry;
const totalTxs = BLOCKS.reduce((a, b) => a + b, 0);
const txs = [];
{
  const t0 = now();
  const nonces = new Array(SENDERS).fill(0n);
  let seed = 1;
  for (let i = 0; i < totalTxs; i++) {
    const s = i % SENDERS;
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const to = toChecksumAddress(otherAddr(SENDERS + (seed % (ACCOUNTS - SENDERS))));
    const message = {
      from: senders[s],
      to,
      amount: 1_000n + BigInt(i),
      nonce: nonces[s]++,
      gasLimit: 60_000n,
      gasPrice: GAS_PRICE,
    };
    const digest = registry.digest(genesis.chainId, 'Transfer', message);
    const { signature, recid } = secp.ecdsaSign(digest, senderKeys[s]);
    const sig = new Uint8Array(65);
    sig.set(signature);
    sig[64] = 27 + recid;
    txs.push(
      registry.encodeTx({ chainId: genesis.chainId, kind: 'Transfer', message, signature: toHex(sig) }),
    );
  }
  log(`${totalTxs} transfers signed in ${round(ms(t0) / 1000)}s`);
}

// ---------------------------------------------------------------- signer recovery rates (one core)
{
  const sample = txs.slice(0, 4000).map((b) => {
    const tx = registry.decodeTx(b);
    return {
      digest: registry.digest(tx.chainId, tx.kind, tx.message),
      sig: Buffer.from(tx.signature.slice(2), 'hex'),
    };
  });
  for (const { digest, sig } of sample.slice(0, 200)) nativeRecoverAddress(digest, sig); // warm-up
  let t0 = now();
  for (const { digest, sig } of sample) secp.ecdsaRecover(sig.subarray(0, 64), sig[64] - 27, digest, false);
  const rawNative = sample.length / (ms(t0) / 1000);
  t0 = now();
  for (const { digest, sig } of sample) nativeRecoverAddress(digest, sig);
  const native = sample.length / (ms(t0) / 1000);
  const nobleN = 300;
  t0 = now();
  for (const { digest, sig } of sample.slice(0, nobleN)) recoverAddress(digest, sig);
  const noble = nobleN / (ms(t0) / 1000);
  const pool = new RecoveryPool(THREADS ? { threads: THREADS } : {});
  await pool.recover(
    sample.slice(0, 100).map((x) => x.digest),
    sample.slice(0, 100).map((x) => x.sig),
  ); // start workers
  t0 = now();
  for (let r = 0; r < 3; r++)
    await pool.recover(
      sample.map((x) => x.digest),
      sample.map((x) => x.sig),
    );
  const pooled = (3 * sample.length) / (ms(t0) / 1000);
  await pool.close();
  out.recovery = {
    nativeOneCorePerSec: Math.round(native),
    nativeRawOneCorePerSec: Math.round(rawNative),
    noblePerSec: Math.round(noble),
    poolPerSec: Math.round(pooled),
    poolThreads: pool.threads,
    note: 'native = nativeRecoverAddress (high-s check, libsecp256k1 recover, keccak, EIP-55); raw = ecdsaRecover only; tiny-secp256k1 is not installed',
  };
  log(
    `recovery: native ${Math.round(native)}/s (raw ${Math.round(rawNative)}/s), noble ${Math.round(noble)}/s, pool ${Math.round(pooled)}/s`,
  );
}

// ---------------------------------------------------------------- blocks: sequencer produces, follower imports
const blockInfo = (h, t) => ({ chainId: genesis.chainId, height: h, time: t, proposer: sequencer });
const produced = [];
{
  const seq = await Node.open({
    dataDir: dirA,
    sequencerKey: seqKey,
    maxBlockTxs: Math.max(...BLOCKS),
    mempool: { maxTotal: totalTxs + 1, maxPerSender: 100_000, maxNonceAhead: 100_000n, maxBytes: 1 << 30 },
    recovery: THREADS ? { threads: THREADS } : {},
  });
  let offset = 0;
  out.sequencer = [];
  for (const n of BLOCKS) {
    const batch = txs.slice(offset, offset + n);
    offset += n;
    let t0 = now();
    for (let i = 0; i < batch.length; i += 1000)
      await Promise.all(batch.slice(i, i + 1000).map((b) => seq.submit(b)));
    const submitMs = ms(t0);
    t0 = now();
    const { receipts } = await seq.produceBlock();
    const produceMs = ms(t0);
    if (receipts.length !== n || receipts.some((r) => r.status !== 'ok'))
      throw new Error(`block of ${receipts.length}/${n}`);
    produced.push(await seq.getBlock(seq.height));
    out.sequencer.push({
      txs: n,
      submitMs: round(submitMs),
      submitPerSec: Math.round(n / (submitMs / 1000)),
      produceAndCommitMs: round(produceMs),
    });
    log(`sequencer: block of ${n}: submit ${round(submitMs)} ms, produce+commit ${round(produceMs)} ms`);
  }
  await seq.close();
}

// whole path on the follower: decode → digest → recover (worker pool) → execute → tree → commit
{
  const fol = await Node.open({ dataDir: dirB, recovery: THREADS ? { threads: THREADS } : {} });
  await fol.prepareMany(txs.slice(0, 64)); // start the workers outside the timing
  out.follower = [];
  let total = 0;
  const t0 = now();
  // as the Follower does: block n+1 is prepared on the pool while block n executes and commits
  let next = fol.prepareBlock(produced[0]);
  for (let i = 0; i < produced.length; i++) {
    const t1 = now();
    const prepared = await next;
    if (i + 1 < produced.length) next = fol.prepareBlock(produced[i + 1]);
    await fol.importBlock(prepared);
    const m = ms(t1);
    const n = produced[i].txs.length;
    total += n;
    out.follower.push({ txs: n, importMs: round(m), perSec: Math.round(n / (m / 1000)) });
  }
  const wholeMs = ms(t0);
  if (fol.latestHeader.hash !== produced.at(-1).header.hash) throw new Error('follower head differs');
  out.wholePath = {
    txs: total,
    perSec: Math.round(total / (wholeMs / 1000)),
    usPerTx: round((wholeMs * 1000) / total),
    path: 'Node.prepareBlock (decode, digest, native recover on worker threads; block n+1 while block n executes) → Node.importBlock: checks, applyBlock, store.prepare, atomic commit',
  };
  out.wholePath.ratioToNativeOneCore = round(out.wholePath.perSec / out.recovery.nativeOneCorePerSec, 2);
  log(
    `whole path: ${out.wholePath.perSec} tx/s (${out.wholePath.ratioToNativeOneCore} × native one-core recovery)`,
  );
  out.rpcNode = fol;
}

// stages, one core, on an identical copy: each stage timed over the same blocks
{
  const store = await StateStore.open(dirC);
  const nat = createApp({ recoverSigner: nativeRecoverAddress });
  const stage = { decode: 0, digest: 0, recover: 0, execute: 0, treeUpdate: 0, commit: 0 };
  let n = 0;
  for (const block of produced) {
    const h = block.header;
    let t0 = now();
    const decoded = block.txs.map((b) => registry.decodeTx(b));
    stage.decode += ms(t0);
    t0 = now();
    const digests = decoded.map((tx) => registry.digest(tx.chainId, tx.kind, tx.message));
    stage.digest += ms(t0);
    t0 = now();
    const sendersR = decoded.map((tx, i) =>
      nativeRecoverAddress(digests[i], Buffer.from(tx.signature.slice(2), 'hex')),
    );
    stage.recover += ms(t0);
    const prepared = decoded.map((tx, i) => ({
      tx,
      bytes: block.txs[i],
      hash: toHex(digests[i]),
      sender: sendersR[i],
    }));
    t0 = now();
    const result = await nat.applyBlock(store.latest(), blockInfo(h.height, h.time), prepared, 'verify');
    stage.execute += ms(t0);
    t0 = now();
    const pc = await store.prepare(result.writes);
    stage.treeUpdate += ms(t0);
    if (toHex(pc.root) !== h.stateRoot) throw new Error('stage run: state root differs');
    t0 = now();
    const puts = [[RECORD.block(h.height), encodeBlock(block)]];
    for (const r of result.receipts) {
      puts.push([RECORD.tx(r.txHash), encode([BigInt(r.height), BigInt(r.index)])]);
      puts.push([RECORD.receipt(r.txHash), encodeReceipt(r)]);
      puts.push([RECORD.senderTx(r.from, r.height, r.index), Buffer.from(r.txHash.slice(2), 'hex')]);
    }
    await pc.commit({ puts });
    stage.commit += ms(t0);
    n += block.txs.length;
  }
  await store.close();
  const us = Object.fromEntries(Object.entries(stage).map(([k, v]) => [k, round((v * 1000) / n, 2)]));
  const sum = Object.values(stage).reduce((a, b) => a + b, 0);
  out.stagesUsPerTx = {
    ...us,
    total: round((sum * 1000) / n, 2),
    oneCorePerSec: Math.round(n / (sum / 1000)),
  };
  log(`stages µs/tx: ${JSON.stringify(out.stagesUsPerTx)}`);
}

// block commit time for 1,000 and 10,000 transfers (from the runs above)
out.blockCommit = BLOCKS.map((n, i) => ({ n, i }))
  .filter(({ n }) => n === 1000 || n === 10_000)
  .map(({ n, i }) => ({
    txs: n,
    sequencerProduceAndCommitMs: out.sequencer[i].produceAndCommitMs,
    followerImportMs: out.follower[i].importMs,
  }));

// ---------------------------------------------------------------- RPC requests/s on loopback
{
  const fol = out.rpcNode;
  delete out.rpcNode;
  const rpc = await startRpcServer(fol);
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"jsonrpc":"2.0","id":1,"result":"0x1"}');
    });
  });
  await new Promise((r) => bare.listen(0, '127.0.0.1', r));
  const bareUrl = `http://127.0.0.1:${bare.address().port}`;
  const loadgen = (url, bodies, requests, concurrency) =>
    new Promise((resolve, reject) => {
      const w = new Worker(
        `const { parentPort, workerData } = require('node:worker_threads');
         const http = require('node:http');
         const { url, bodies, requests, concurrency } = workerData;
         const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
         const u = new URL(url);
         let sent = 0, done = 0, errors = 0;
         const t0 = process.hrtime.bigint();
         const one = () => new Promise((res) => {
           const body = bodies[sent % bodies.length]; sent++;
           const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: '/', agent,
             headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (r) => {
             let t = ''; r.on('data', (d) => (t += d)); r.on('end', () => { if (r.statusCode !== 200 || !t.includes('"result"')) errors++; done++; res(); });
           });
           req.on('error', () => { errors++; done++; res(); });
           req.end(body);
         });
         (async () => {
           await Promise.all(Array.from({ length: concurrency }, async () => { while (sent < requests) await one(); }));
           const s = Number(process.hrtime.bigint() - t0) / 1e9;
           agent.destroy();
           parentPort.postMessage({ perSec: Math.round(done / s), errors, done });
         })();`,
        { eval: true, workerData: { url, bodies, requests, concurrency } },
      );
      w.once('message', resolve);
      w.once('error', reject);
    });
  const some = Array.from({ length: 64 }, (_, i) =>
    JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ol_getBalance', params: [senders[(i * 7) % SENDERS]] }),
  );
  const info = [JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ol_chainInfo' })];
  const C = 32;
  await loadgen(rpc.url, info, 1000, C); // warm-up
  const baseline = await loadgen(bareUrl, info, RPC_REQUESTS, C);
  const balance = await loadgen(rpc.url, some, RPC_REQUESTS, C);
  const chainInfo = await loadgen(rpc.url, info, RPC_REQUESTS, C);
  out.rpc = {
    requests: RPC_REQUESTS,
    concurrency: C,
    baselineBareHttpPerSec: baseline.perSec,
    ol_getBalancePerSec: balance.perSec,
    ol_chainInfoPerSec: chainInfo.perSec,
    ratioGetBalance: round(balance.perSec / baseline.perSec, 2),
    ratioChainInfo: round(chainInfo.perSec / baseline.perSec, 2),
    errors: baseline.errors + balance.errors + chainInfo.errors,
    note: 'load generator: a worker thread, keep-alive node:http, same process (2 cores shared)',
  };
  log(`rpc: ${JSON.stringify(out.rpc)}`);
  await rpc.close();
  await new Promise((r) => bare.close(r));
  await fol.close();
}

console.log(JSON.stringify(out, null, 2));
