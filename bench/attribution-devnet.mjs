#!/usr/bin/env node
// Seeding time of a fresh devnet and `ol_trace` latency on it (issue 6 items 5–6), after `tsc -b`:
//   node bench/attribution-devnet.mjs [--traces 200]
// Starts a devnet in a temporary directory (no demo model), times seeding (tokenizer, Datanets, 9
// contributions, approvals, index build), then traces outputs built from the demo rows (quotes of one
// to three rows mixed with filler, 40–250 tokens) over HTTP against both seeded Datanets. Baseline in
// the same run: `ol_chainInfo` over the same HTTP connection (the RPC round trip), so the ratio is the
// cost of attribution itself. Prints JSON.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevnet } from '../packages/cli/dist/commands/node.js';

const root = new URL('..', import.meta.url).pathname;
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const traces = arg('traces', 200);

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const rows = [];
for (const f of [
  'computing/01-ada.txt',
  'computing/03-vint.txt',
  'computing/05-alan.txt',
  'elements/02-dmitri.txt',
]) {
  rows.push(...readFileSync(join(root, 'data', 'datanets', f), 'utf8').split('\n\n'));
}
const filler = 'In short, as the text says, and to put it another way, which matters here, ';

const dir = mkdtempSync(join(tmpdir(), 'ol-bench-attr-'));
const t0 = performance.now();
const devnet = await startDevnet({
  dataDir: dir,
  port: 0,
  blockIntervalMs: 1000,
  adapter: null,
  log: (l) => process.stderr.write(`[seed] ${l}\n`),
});
const startMs = performance.now() - t0;
const url = devnet.rpc.url;
const pins = devnet.seeded.datanets.map((d) => ({ datanet: d.id, version: d.versions }));
const call = async (method, params) => {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const j = await r.json();
  if (j.error) throw new Error(JSON.stringify(j.error));
  return j.result;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 100) / 100;
};
const time = async (fn) => {
  const s = performance.now();
  const r = await fn();
  return [performance.now() - s, r];
};
try {
  const outputs = [];
  for (let i = 0; i < traces; i++) {
    const k = 1 + Math.floor(rand() * 3);
    let text = '';
    for (let j = 0; j < k; j++) text += `${filler}${rows[Math.floor(rand() * rows.length)].slice(0, 300)} `;
    outputs.push(text);
  }
  for (let i = 0; i < 10; i++) await call('ol_trace', [{ output: outputs[i], pins }]); // warm-up
  await call('ol_chainInfo', []);
  const traceMs = [];
  const baseMs = [];
  let tokens = 0;
  let spans = 0;
  for (const output of outputs) {
    const [ms, r] = await time(() => call('ol_trace', [{ output, pins }]));
    traceMs.push(ms);
    tokens += r.outputTokens;
    spans += r.spans.length;
    const [b] = await time(() => call('ol_chainInfo', []));
    baseMs.push(b);
  }
  const status = await call('ol_attributionStatus', []);
  const indexed = status.tokenizers[0].datanets.reduce((s, d) => s + d.tokens, 0);
  const result = {
    seeding: {
      ms: devnet.seeded.ms,
      devnetStartMs: Math.round(startMs),
      blocks: devnet.seeded.blocks,
      indexedTokens: indexed,
    },
    trace: {
      n: traces,
      meanOutputTokens: Math.round(tokens / traces),
      meanSpans: Math.round((spans / traces) * 100) / 100,
      p50Ms: pct(traceMs, 50),
      p99Ms: pct(traceMs, 99),
    },
    baselineChainInfo: { p50Ms: pct(baseMs, 50), p99Ms: pct(baseMs, 99) },
    ratioP50: Math.round((pct(traceMs, 50) / pct(baseMs, 50)) * 10) / 10,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await devnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
