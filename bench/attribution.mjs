#!/usr/bin/env node
// Attribution index benchmark (JSON): build throughput, bytes per indexed token, trace latency p50/p99
// for 256-token outputs over 1M and 10M tokens (`--large`: 100M too), against a baseline measured in the
// same run: a typed-array open-addressing hash of 8-grams. Synthetic corpus from a seeded trigram model
// of the shipped text (data/). Run: `npm run build && node bench/attribution.mjs [--large | --quick | --sizes=N,M]`.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributionIndex } from '../packages/attribution/dist/index.js';
import { loadDefaultTokenizer } from '../packages/tokenizer/dist/index.js';
import { drawCorpus, loadTrainingIds, RandomModel, rng, TrigramModel } from './lib/attribution-corpus.mjs';

const large = process.argv.includes('--large');
const sizesArg = process.argv.find((a) => a.startsWith('--sizes='));
const sizes = sizesArg
  ? sizesArg.slice(8).split(',').map(Number)
  : process.argv.includes('--quick')
    ? [1_000_000]
    : large
      ? [1_000_000, 10_000_000, 100_000_000]
      : [1_000_000, 10_000_000];
const QUERIES = 100;
const OUTPUT = 256;
const K = 8; // minSpanTokens

const tokenizer = loadDefaultTokenizer();
const training = loadTrainingIds(tokenizer);
const model = training ? new TrigramModel(training, 4096) : new RandomModel(4096);

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x, d = 2) => Number(x.toFixed(d));
const mb = (b) => round(b / 2 ** 20, 1);

function dirBytes(dir) {
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true })) {
    const s = statSync(join(dir, String(f)));
    if (s.isFile()) n += s.size;
  }
  return n;
}

/** Baseline: open-addressing hash of every 8-gram (not crossing rows) → position; longest match by extension. */
class NgramHash {
  constructor(text) {
    this.text = text; // symbols: id + 1, 0 = separator
    let count = 0;
    for (let p = 0; p + K <= text.length; p++) if (this.valid(p)) count++;
    let cap = 1;
    while (cap < count * 2) cap <<= 1;
    this.mask = cap - 1;
    this.keys = new Uint32Array(cap);
    this.pos = new Uint32Array(cap);
    for (let p = 0; p + K <= text.length; p++) {
      if (!this.valid(p)) continue;
      const h = (this.hash(text, p) | 1) >>> 0;
      let s = h & this.mask;
      while (this.keys[s] !== 0) s = (s + 1) & this.mask;
      this.keys[s] = h;
      this.pos[s] = p;
    }
  }
  valid(p) {
    for (let k = 0; k < K; k++) if (this.text[p + k] === 0) return false;
    return true;
  }
  hash(a, p) {
    let h = 2166136261;
    for (let k = 0; k < K; k++) h = Math.imul(h ^ a[p + k], 16777619);
    return h >>> 0;
  }
  get byteLength() {
    return this.keys.byteLength + this.pos.byteLength;
  }
  /** Longest match (≥ K, else 0) at each output position. */
  matchLengths(symbols) {
    const out = new Int32Array(symbols.length);
    const t = this.text;
    for (let i = 0; i + K <= symbols.length; i++) {
      const h = (this.hash(symbols, i) | 1) >>> 0;
      let s = h & this.mask;
      let best = 0;
      while (this.keys[s] !== 0) {
        if (this.keys[s] === h) {
          const p = this.pos[s];
          let k = 0;
          while (i + k < symbols.length && p + k < t.length && t[p + k] === symbols[i + k]) k++;
          if (k >= K && k > best) best = k;
        }
        s = (s + 1) & this.mask;
      }
      out[i] = best;
    }
    return out;
  }
}

function makeOutputs(corpus, seed) {
  const r = rng(seed);
  const outs = [];
  const starts = new Uint32Array(corpus.rowLengths.length + 1);
  for (let i = 0; i < corpus.rowLengths.length; i++) starts[i + 1] = starts[i] + corpus.rowLengths[i];
  for (let q = 0; q < QUERIES; q++) {
    const out = new Uint16Array(OUTPUT);
    let at = 0;
    while (at < OUTPUT) {
      const len = Math.min(OUTPUT - at, 12 + r(30));
      if (r(2)) {
        // quote a corpus row
        const row = r(corpus.rowLengths.length);
        const rl = corpus.rowLengths[row];
        const s = r(Math.max(1, rl - len));
        const piece = corpus.tokens.subarray(starts[row] + s, starts[row] + Math.min(rl, s + len));
        out.set(piece, at);
        at += piece.length;
      } else {
        model.generate(r, out, at, len);
        at += len;
      }
    }
    outs.push(Array.from(out));
  }
  return outs;
}

const results = {
  machine: { node: process.version, cpus: 2 },
  corpus: training ? 'trigram model of data/base/gcide.txt' : 'seeded random ids',
  sizes: [],
};
for (const size of sizes) {
  const corpus = drawCorpus(model, 1000 + size, size);
  const dir = mkdtempSync(join(tmpdir(), 'ol-attr-bench-'));
  const index = AttributionIndex.open({ dir, tokenizer, compaction: 'tiered' });
  const datanet = `0x${'01'.padStart(64, '0')}`;
  const d = index.datanet(datanet);
  // 10 versions (contributions) of equal size, tiered compaction as in production
  const rowsPerVersion = Math.ceil(corpus.rowLengths.length / 10);
  let t0 = performance.now();
  let offset = 0;
  for (let v = 0; v < 10; v++) {
    const lens = corpus.rowLengths.subarray(v * rowsPerVersion, (v + 1) * rowsPerVersion);
    if (lens.length === 0) break;
    const tokens = [];
    for (const l of lens) {
      tokens.push(corpus.tokens.subarray(offset, offset + l));
      offset += l;
    }
    d.addVersion({
      contributor: `0x${(v + 1).toString(16).padStart(40, '0')}`,
      approvalHeight: BigInt(v + 1),
      rows: tokens.map((_, i) => `row ${v}.${i}`),
      tokens,
    });
  }
  const incrementalMs = performance.now() - t0;
  t0 = performance.now();
  d.compact();
  const compactMs = performance.now() - t0;
  const mem = process.memoryUsage();
  const seg = d.byteLength;
  const disk = dirBytes(dir);

  // baseline on the same text
  const text = new Uint16Array(size + corpus.rowLengths.length);
  {
    let p = 0;
    let q = 0;
    for (const l of corpus.rowLengths) {
      for (let k = 0; k < l; k++) text[p++] = corpus.tokens[q++] + 1;
      text[p++] = 0;
    }
  }
  t0 = performance.now();
  const baseline = new NgramHash(text);
  const baselineBuildMs = performance.now() - t0;

  const outputs = makeOutputs(corpus, 7 + size);
  const pins = [{ datanet, version: d.versionCount }];
  const traceMs = [];
  const matchMs = [];
  const baseMs = [];
  let spans = 0;
  let agree = 0;
  // first trace at a pinned version builds its count table and row trees (cached afterwards)
  const t1 = performance.now();
  index.trace({ output: outputs[0], pins, modelVersion: `0x${'ab'.repeat(32)}` });
  const firstTraceMs = performance.now() - t1;
  // three separate passes so that none runs on caches warmed by another for the same output
  for (const out of outputs) {
    const t = performance.now();
    const res = index.trace({ output: out, pins, modelVersion: `0x${'ab'.repeat(32)}` });
    traceMs.push(performance.now() - t);
    spans += res.spans.length;
  }
  const ours = [];
  for (const out of outputs) {
    const symbols = Int32Array.from(out, (x) => x + 1);
    const t = performance.now();
    const ml = new Int32Array(out.length);
    d.matchLengths(symbols, d.versionCount, ml);
    matchMs.push(performance.now() - t);
    ours.push(ml);
  }
  outputs.forEach((out, q) => {
    const symbols = Int32Array.from(out, (x) => x + 1);
    const t = performance.now();
    const bl = baseline.matchLengths(symbols);
    baseMs.push(performance.now() - t);
    // the two agree wherever the longest match reaches K
    agree += ours[q].every((m, i) => (m >= K ? bl[i] === m : bl[i] === 0)) ? 1 : 0;
  });
  results.sizes.push({
    tokens: size,
    rows: corpus.rowLengths.length,
    build: {
      incrementalTokensPerSec: Math.round(size / (incrementalMs / 1000)),
      incrementalMs: Math.round(incrementalMs),
      fullRebuildTokensPerSec: Math.round(size / (compactMs / 1000)),
      baselineHashBuildTokensPerSec: Math.round(size / (baselineBuildMs / 1000)),
    },
    bytesPerIndexedToken: {
      memory: round(seg / size),
      disk: round(disk / size),
      baselineMemory: round((baseline.byteLength + text.byteLength) / size),
    },
    traceMs256: {
      firstTraceMs: round(firstTraceMs),
      p50: round(percentile(traceMs, 50)),
      p99: round(percentile(traceMs, 99)),
      longestMatchOnlyP50: round(percentile(matchMs, 50)),
      longestMatchOnlyP99: round(percentile(matchMs, 99)),
      baselineP50: round(percentile(baseMs, 50)),
      baselineP99: round(percentile(baseMs, 99)),
      ratioBaselineOverIndexP50: round(percentile(baseMs, 50) / percentile(matchMs, 50)),
    },
    meanSpansPerOutput: round(spans / outputs.length, 1),
    baselineAgreesOnLongestMatch: `${agree}/${outputs.length}`,
    residentMB: mb(mem.rss),
    arrayBuffersMB: mb(mem.arrayBuffers),
  });
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(results, null, 2));
