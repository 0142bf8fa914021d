#!/usr/bin/env node
// Benchmark of @openledger/store: load N keys (default 1,000,000) in blocks of 10,000, then block
// commits of 1,000 and 10,000 random updates, reads/s, proof generation/verification rate and bytes on
// disk per key, each against a baseline measured in the same run (raw classic-level without the tree).
// Usage: npm run build && node bench/store.mjs   (env: KEYS=200000 to shorten). Prints JSON.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { StateStore, verifyProof } from '../packages/store/dist/index.js';

const KEYS = Number(process.env.KEYS ?? 1_000_000);
const LOAD_BLOCK = 10_000;
const now = () => performance.now();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

// account-like keys: 'a' ‖ 20-byte address; values: 32-byte balance ‖ 8-byte nonce
const keyOf = (i) => {
  const k = Buffer.allocUnsafe(21);
  k[0] = 0x61;
  createHash('sha256').update(`acct${i}`).digest().copy(k, 1, 0, 20);
  return k;
};
const accountValue = (i, salt) => {
  const v = Buffer.alloc(40);
  v.writeUInt32BE(i, 28);
  v.writeUInt32BE(salt, 36);
  return v;
};
let seed = 12345;
const rand = (n) => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed % n;
};
const dirBytes = (dir) => readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);

const keys = Array.from({ length: KEYS }, (_, i) => keyOf(i));
const keyHex = keys.map((k) => k.toString('hex'));
const out = { keys: KEYS, loadBlockSize: LOAD_BLOCK, node: process.version };
// (retention and node-cache size are reported below with the figures they affect)

// ---- baseline: raw classic-level batches of the same keys ----
const baseDir = mkdtempSync(join(tmpdir(), 'olbench-base-'));
const base = new ClassicLevel(baseDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
await base.open();
let t = now();
for (let b = 0; b < KEYS; b += LOAD_BLOCK) {
  const ops = [];
  for (let i = b; i < Math.min(KEYS, b + LOAD_BLOCK); i++)
    ops.push({ type: 'put', key: keys[i], value: accountValue(i, 0) });
  await base.batch(ops);
}
const baseLoadMs = now() - t;

// ---- store load ----
const dir = mkdtempSync(join(tmpdir(), 'olbench-store-'));
const RETAIN = Number(process.env.RETAIN ?? 100);
const CACHE_MB = Number(process.env.CACHE_MB ?? 256);
const store = await StateStore.open(dir, { retainHeights: RETAIN, cacheBytes: CACHE_MB * 2 ** 20 });
t = now();
let prepareMs = 0;
for (let b = 0; b < KEYS; b += LOAD_BLOCK) {
  const writes = new Map();
  for (let i = b; i < Math.min(KEYS, b + LOAD_BLOCK); i++) writes.set(keyHex[i], accountValue(i, 0));
  const t0 = now();
  const p = await store.prepare(writes);
  prepareMs += now() - t0;
  await p.commit();
}
const loadMs = now() - t;
out.options = { retainHeights: RETAIN, cacheMiB: CACHE_MB };
out.load = {
  storeMs: Math.round(loadMs),
  storeKeysPerSec: Math.round(KEYS / (loadMs / 1000)),
  storePrepareShare: round(prepareMs / loadMs),
  baselineMs: Math.round(baseLoadMs),
  baselineKeysPerSec: Math.round(KEYS / (baseLoadMs / 1000)),
  ratioStoreOverBaseline: round(loadMs / baseLoadMs),
};

// ---- block commits of random updates on the loaded state ----
let salt = 1;
async function updateBlocks(size, count, readFirst = false) {
  const prep = [];
  const comm = [];
  const prepCpu = [];
  const commCpu = [];
  const cpuMs = (c) => (c.user + c.system) / 1000;
  const baseTimes = [];
  for (let r = 0; r < count; r++) {
    const idx = Array.from({ length: size }, () => rand(KEYS));
    const writes = new Map();
    salt++;
    for (const i of idx) writes.set(keyHex[i], accountValue(i, salt));
    // like block execution: every written key was read first (not timed here; reads are measured below)
    if (readFirst) await Promise.all(idx.map((i) => store.latest().get(keys[i])));
    let t0 = now();
    let c0 = process.cpuUsage();
    const p = await store.prepare(writes);
    prepCpu.push(cpuMs(process.cpuUsage(c0)));
    prep.push(now() - t0);
    t0 = now();
    c0 = process.cpuUsage();
    await p.commit();
    commCpu.push(cpuMs(process.cpuUsage(c0)));
    comm.push(now() - t0);
    t0 = now();
    await base.batch(idx.map((i) => ({ type: 'put', key: keys[i], value: accountValue(i, salt) })));
    baseTimes.push(now() - t0);
  }
  const total = prep.map((p, i) => p + comm[i]);
  return {
    blocks: count,
    prepareMs: round(median(prep)),
    commitMs: round(median(comm)),
    totalMs: round(median(total)),
    // process CPU time (main thread + LevelDB threads): steadier than wall time on a shared machine
    prepareCpuMs: round(median(prepCpu)),
    commitCpuMs: round(median(commCpu)),
    writesPerSec: Math.round(size / (median(total) / 1000)),
    baselineBatchMs: round(median(baseTimes)),
    ratioStoreOverBaseline: round(median(total) / median(baseTimes)),
  };
}
out.blocks1k = await updateBlocks(1_000, 10);
out.blocks10k = await updateBlocks(10_000, 6);
out.blocks10kReadFirst = await updateBlocks(10_000, 6, true);
out.blocks20kReadFirst = await updateBlocks(20_000, 4, true);

// ---- reads ----
async function readRate(get, n, batch = 1000) {
  const t0 = now();
  for (let done = 0; done < n; done += batch) {
    const ps = [];
    for (let j = 0; j < batch; j++) ps.push(get(keys[rand(KEYS)]));
    await Promise.all(ps);
  }
  return Math.round(n / ((now() - t0) / 1000));
}
const latest = store.latest();
const readSeed = seed;
const storeReads = await readRate((k) => latest.get(k), 100_000);
seed = readSeed;
const storeHotReads = await readRate((k) => latest.get(k), 100_000);
seed = readSeed;
const baseReads = await readRate((k) => base.get(k), 100_000);
const pastHeight = store.height - 5;
const past = store.at(pastHeight);
const pastReads = await readRate((k) => past.get(k), 20_000);
out.reads = {
  latestPerSec: storeReads,
  latestHotPerSec: storeHotReads,
  baselinePerSec: baseReads,
  ratioStoreOverBaseline: round(storeReads / baseReads),
  ratioHotOverBaseline: round(storeHotReads / baseReads),
  pastHeightPerSec: pastReads,
};

// ---- proofs ----
const proofs = [];
t = now();
for (let i = 0; i < 5_000; i++) {
  const k = keys[rand(KEYS)];
  proofs.push([k, await store.prove(k)]);
}
const proveMs = now() - t;
t = now();
let ok = 0;
for (const [k, { value, proof, root }] of proofs) if (verifyProof(root, k, value, proof)) ok++;
const verifyMs = now() - t;
if (ok !== proofs.length) throw new Error(`only ${ok}/${proofs.length} proofs verified`);
const proofBytes =
  proofs.reduce(
    (s, [, { proof }]) =>
      s + 32 * proof.levels.reduce((a, l) => a + l.siblings.length, 0) + 3 * proof.levels.length + 64,
    0,
  ) / proofs.length;
out.proofs = {
  generatedPerSec: Math.round(proofs.length / (proveMs / 1000)),
  verifiedPerSec: Math.round(proofs.length / (verifyMs / 1000)),
  avgLevels: round(proofs.reduce((s, [, { proof }]) => s + proof.levels.length, 0) / proofs.length),
  avgBytes: Math.round(proofBytes),
  baselineGetPerSec: baseReads,
  ratioProveOverGet: round(proofs.length / (proveMs / 1000) / baseReads),
};

// ---- disk ----
await store.close();
await base.close();
for (const [d, open] of [
  [dir, true],
  [baseDir, true],
]) {
  if (!open) continue;
  const db = new ClassicLevel(d);
  await db.open();
  await db.compactRange(Buffer.alloc(0), Buffer.alloc(64, 0xff));
  await db.close();
}
const storeBytes = dirBytes(dir);
const baseBytes = dirBytes(baseDir);
out.disk = {
  note: `after ${store.height} heights with retainHeights ${RETAIN} (so the update blocks also prune), compacted`,
  storeBytesPerKey: Math.round(storeBytes / KEYS),
  baselineBytesPerKey: Math.round(baseBytes / KEYS),
  ratioStoreOverBaseline: round(storeBytes / baseBytes),
};
// live state only: reopen with retainHeights 1 and commit empty blocks until every old version is pruned
{
  const live = await StateStore.open(dir, { retainHeights: 1 });
  const target = live.height + 1;
  for (let i = 0; i <= target; i++) await (await live.prepare(new Map())).commit();
  await live.close();
  const db = new ClassicLevel(dir);
  await db.open();
  await db.compactRange(Buffer.alloc(0), Buffer.alloc(64, 0xff));
  await db.close();
  out.disk.liveStoreBytesPerKey = Math.round(dirBytes(dir) / KEYS);
  out.disk.liveRatioStoreOverBaseline = round(dirBytes(dir) / baseBytes);
}
out.memory = { rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) };
rmSync(dir, { recursive: true, force: true });
rmSync(baseDir, { recursive: true, force: true });
console.log(JSON.stringify(out, null, 2));
