#!/usr/bin/env node
// Tokenizer throughput, printed as JSON. Baselines measured in the same run:
//   - utf8: Buffer.from(text, 'utf8') (the floor: encode must at least produce the bytes);
//   - naive: the same BPE without the per-piece cache (pre-tokenise, then the rescan merge loop per piece).
// Usage: npm run build && node bench/tokenizer.mjs
import { readFileSync } from 'node:fs';
import { bpeMergeRescan, pairKey } from '../packages/tokenizer/dist/bpe.js';
import { loadDefaultTokenizer, pretokenize, Tokenizer, trainBpe } from '../packages/tokenizer/dist/index.js';

const root = new URL('..', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(`${root}data/datanets/manifest.json`, 'utf8'));
const datanetText = manifest.datanets
  .flatMap((d) => d.files.map((f) => readFileSync(`${root}data/datanets/${f.file}`, 'utf8')))
  .join('\n\n');
const baseText = readFileSync(`${root}data/base/gcide.txt`, 'utf8');
const text = `${datanetText}\n\n${baseText.slice(0, 2_000_000)}`;
const megabytes = Buffer.byteLength(text) / 1e6;

/** Best of `runs` timings in seconds. */
function time(fn, runs = 3) {
  let best = Number.POSITIVE_INFINITY;
  let result;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    result = fn();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return { seconds: best, result };
}

const shipped = loadDefaultTokenizer();
const bytes = shipped.serialize();
const ranks = new Map(shipped.file.merges.map(([a, b], rank) => [pairKey(a, b), rank]));
const firstMergeId = 256 + shipped.specialTokens.length;
const utf8 = new TextEncoder();

const utf8Time = time(() => Buffer.from(text, 'utf8'));
const coldTime = time(() => Tokenizer.fromFile(bytes).encode(text));
const warmTime = time(() => shipped.encode(text));
const naiveTime = time(() => {
  const ids = [];
  for (const piece of pretokenize(text)) ids.push(...bpeMergeRescan(utf8.encode(piece), ranks, firstMergeId));
  return ids;
}, 1);
const ids = warmTime.result;
if (naiveTime.result.length !== ids.length || naiveTime.result.some((id, i) => id !== ids[i])) {
  throw new Error('the naive baseline and the tokenizer disagree');
}
const decodeTime = time(() => shipped.decode(ids));
if (decodeTime.result !== text) throw new Error('round trip failed');
const loadTime = time(() => Tokenizer.fromFile(bytes), 5);
const trainCorpus = text.slice(0, 1_000_000);
const trainTime = time(() => trainBpe(trainCorpus, { vocabSize: 4096 }), 1);

const mbps = (t) => Number((megabytes / t.seconds).toFixed(2));
console.log(
  JSON.stringify(
    {
      textMB: Number(megabytes.toFixed(3)),
      tokens: ids.length,
      bytesPerToken: Number((Buffer.byteLength(text) / ids.length).toFixed(3)),
      encodeMBps: { cold: mbps(coldTime), warm: mbps(warmTime) },
      baselineMBps: { utf8: mbps(utf8Time), naiveUncached: mbps(naiveTime) },
      ratio: {
        warmVsNaive: Number((naiveTime.seconds / warmTime.seconds).toFixed(2)),
        coldVsNaive: Number((naiveTime.seconds / coldTime.seconds).toFixed(2)),
        utf8VsWarm: Number((warmTime.seconds / utf8Time.seconds).toFixed(1)),
      },
      decodeMBps: mbps(decodeTime),
      loadFileMs: Number((loadTime.seconds * 1000).toFixed(2)),
      train4096On1MBSeconds: Number(trainTime.seconds.toFixed(2)),
    },
    null,
    2,
  ),
);
