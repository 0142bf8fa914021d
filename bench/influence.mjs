#!/usr/bin/env node
// Gradient-influence benchmark: for paraphrased answers (no verbatim span of ≥ 8 tokens, so span
// attribution finds nothing), how highly does the stored projected-gradient signal rank the true
// source row and its contributor? Baseline in the same run: the expected rank of a random ordering.
// Usage: npm run build && node bench/influence.mjs [--adapter models/demo-adapter] [--n 30]
import { loadDefaultTokenizer } from '@openledger/tokenizer';
import { contextFor } from '../packages/engine/dist/finetune.js';
import {
  Bm25,
  CONTEXT_MAX_ROWS,
  encodeChat,
  headword,
  loadAdapter,
  loadModel,
  longestSpan,
  readRows,
} from '../packages/engine/dist/index.js';
import { loadInfluence, queryInfluence } from '../packages/engine/dist/influence.js';
import { JaxModel } from '../packages/engine/dist/jax-model.js';
import { Rng } from '../packages/engine/dist/rng.js';

const arg = (k, d) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const adapterDir = arg('adapter', 'models/demo-adapter');
const N = Number(arg('n', '30'));
const tok = loadDefaultTokenizer();
const base = loadModel(arg('base', 'models/base'), { tokenizer: tok });
const adapter = loadAdapter(adapterDir, base);
const store = loadInfluence(adapterDir);
const rows = readRows(arg('rows', 'data/datanets'));
const bm = new Bm25(rows.map((r) => r.text));
const rowIds = rows.map((r) => tok.encode(r.text));
const jm = await JaxModel.create(base.config);
jm.freezeBase(base.weights);

const STOP = new Set(
  'a an the of and or to in is are was be by for with as on at that which this it its from'.split(' '),
);
/** A crude paraphrase: drop function words, swap neighbouring words, lower-case. */
function paraphrase(text) {
  const w = text.split(/\s+/).filter((x) => x && !STOP.has(x.toLowerCase()));
  for (let i = 0; i + 1 < w.length; i += 2) [w[i], w[i + 1]] = [w[i + 1], w[i]];
  return w.join(' ').toLowerCase();
}

const storeRows = new Map(store.rows.map((r, i) => [r.rowIndex, i]));
const candidates = store.rows.filter((r) => headword(rows[r.rowIndex].text));
const picked = Array.from(
  { length: Math.min(N, candidates.length) },
  (_, i) => candidates[Math.floor((i * candidates.length) / N)],
);
const res = { dot: [], cosine: [] };
const contributorTop1 = { dot: 0, cosine: 0 };
let spanMisses = 0;
const t0 = performance.now();
for (const r of picked) {
  const row = rows[r.rowIndex];
  const [hw, def] = headword(row.text);
  const para = paraphrase(def.split(/(?<=\.)\s/)[0] ?? def).slice(0, 200);
  const outIds = tok.encode(para);
  const span = longestSpan(outIds, rowIds).length;
  if (span < 8) spanMisses++;
  const question = `What is ${hw}?`;
  const context = contextFor(bm, rows, question, null, new Rng(1)).slice(0, CONTEXT_MAX_ROWS);
  const prompt = encodeChat(tok, { context, messages: [{ role: 'user', content: question }] });
  const room = base.config.contextLength - prompt.length - 1;
  const out = [...outIds.slice(0, room), tok.special.eos];
  for (const mode of ['dot', 'cosine']) {
    const q = await queryInfluence(jm, adapter, store, prompt, out, {
      normalize: mode === 'cosine',
      padId: tok.special.pad,
    });
    const me = q.scores[storeRows.get(r.rowIndex)];
    let rank = 1;
    for (const s of q.scores) if (s > me) rank++;
    res[mode].push(rank);
    if (q.contributors[0]?.contributor === row.contributor) contributorTop1[mode]++;
  }
}
const summary = (ranks) => ({
  meanRank: +(ranks.reduce((s, x) => s + x, 0) / ranks.length).toFixed(1),
  medianRank: [...ranks].sort((a, b) => a - b)[ranks.length >> 1],
  top1: ranks.filter((x) => x === 1).length,
  top10: ranks.filter((x) => x <= 10).length,
  mrr: +(ranks.reduce((s, x) => s + 1 / x, 0) / ranks.length).toFixed(3),
});
const M = store.rows.length;
const contributors = new Set(store.rows.map((r) => r.contributor)).size;
console.log(
  JSON.stringify(
    {
      queries: picked.length,
      storedRows: M,
      bytesPerRow: store.params.dims + 4,
      paraphrasesWithoutSpan8: spanMisses,
      dotProduct: { ...summary(res.dot), contributorTop1: contributorTop1.dot },
      cosine: { ...summary(res.cosine), contributorTop1: contributorTop1.cosine },
      randomBaseline: {
        meanRank: (M + 1) / 2,
        top10: +((10 / M) * picked.length).toFixed(2),
        mrr: +(Array.from({ length: M }, (_, i) => 1 / (i + 1)).reduce((a, b) => a + b, 0) / M).toFixed(3),
        contributorTop1: +(picked.length / contributors).toFixed(1),
      },
      ratioMeanRankRandomOverDot: +(
        (M + 1) /
        2 /
        (res.dot.reduce((s, x) => s + x, 0) / res.dot.length)
      ).toFixed(2),
      secondsPerQuery: +((performance.now() - t0) / 1000 / picked.length / 2).toFixed(2),
    },
    null,
    2,
  ),
);
