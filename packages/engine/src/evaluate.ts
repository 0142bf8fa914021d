// Evaluation: held-out loss/perplexity of a model (optionally with an adapter), n-gram baselines on
// the same split, and the demo adapter's span check (greedy answers that copy Datanet rows).
import { CONTEXT_MAX_ROWS, encodeChat } from './chat-template.js';
import type { Example } from './dataset.js';
import { EngineError } from './errors.js';
import { contextFor, headword, isHeldOut, type Row } from './finetune.js';
import { JaxModel } from './jax-model.js';
import { generateText, type Model } from './model.js';
import type { Adapter } from './params.js';
import { Bm25 } from './retrieval.js';
import { Rng } from './rng.js';
import type { TokenizerLike } from './tokenizer-types.js';
import { evaluateLoss } from './train.js';

/** Held-out loss (nats/token) and perplexity of `model` (plus `adapter`, unmerged) on examples. */
export async function evaluate(
  model: Model,
  examples: Example[],
  opts: { adapter?: Adapter | null; seqLen?: number; batchSize?: number; padId?: number } = {},
): Promise<{ loss: number; ppl: number; tokens: number }> {
  const jm = await JaxModel.create(model.config);
  const adapter = opts.adapter ?? null;
  if (adapter) jm.freezeBase(model.weights);
  try {
    return await evaluateLoss(
      jm,
      adapter ? null : model.weights,
      adapter,
      examples,
      opts.seqLen ?? model.config.contextLength + 1,
      opts.batchSize ?? 8,
      opts.padId ?? 0,
    );
  } finally {
    jm.releaseBase();
  }
}

export type NgramReport = { loss: number; ppl: number; tokens: number; note: string };

/**
 * Unigram (add-one) and interpolated bigram baselines trained on `train` (a token stream or windows)
 * and scored on the same targets as the model (every target of `heldOut` windows with its previous
 * token). The bigram's interpolation weight is picked on the held-out set itself (in its favour).
 */
export function ngramBaselines(
  train: Int32Array[],
  heldOut: Example[],
  vocab: number,
): { unigram: NgramReport; bigram: NgramReport } {
  const uni = new Float64Array(vocab);
  const bi = new Map<number, number>();
  const ctx = new Float64Array(vocab);
  let n = 0;
  for (const s of train) {
    for (let i = 0; i < s.length; i++) {
      const t = s[i] as number;
      uni[t] = (uni[t] as number) + 1;
      n++;
      if (i > 0) {
        const p = s[i - 1] as number;
        const key = p * vocab + t;
        bi.set(key, (bi.get(key) ?? 0) + 1);
        ctx[p] = (ctx[p] as number) + 1;
      }
    }
  }
  const pu = (t: number): number => ((uni[t] as number) + 1) / (n + vocab);
  const pairs: [number, number][] = [];
  for (const e of heldOut)
    for (let i = 0; i + 1 < e.ids.length; i++)
      if (!e.mask || (e.mask[i + 1] as number) > 0) pairs.push([e.ids[i] as number, e.ids[i + 1] as number]);
  let lu = 0;
  for (const [, t] of pairs) lu -= Math.log(pu(t));
  let best = { loss: Number.POSITIVE_INFINITY, lambda: 0 };
  for (let k = 0; k <= 20; k++) {
    const lambda = k / 20;
    let l = 0;
    for (const [p, t] of pairs) {
      const c = ctx[p] as number;
      const pb = c > 0 ? (bi.get(p * vocab + t) ?? 0) / c : 0;
      l -= Math.log(lambda * pb + (1 - lambda) * pu(t));
    }
    if (l < best.loss) best = { loss: l, lambda };
  }
  const T = pairs.length;
  return {
    unigram: { loss: lu / T, ppl: Math.exp(lu / T), tokens: T, note: 'add-one unigram' },
    bigram: {
      loss: best.loss / T,
      ppl: Math.exp(best.loss / T),
      tokens: T,
      note: `bigram interpolated with the unigram, lambda ${best.lambda} (best on held-out)`,
    },
  };
}

/** Longest run of tokens of `out` that occurs contiguously in one of `rows`. */
export function longestSpan(out: number[], rows: number[][]): { length: number; row: number } {
  let best = { length: 0, row: -1 };
  rows.forEach((r, ri) => {
    // classic DP for the longest common substring
    let prev = new Int32Array(r.length + 1);
    for (let i = 1; i <= out.length; i++) {
      const cur = new Int32Array(r.length + 1);
      for (let j = 1; j <= r.length; j++) {
        if (out[i - 1] === r[j - 1]) {
          cur[j] = (prev[j - 1] as number) + 1;
          if ((cur[j] as number) > best.length) best = { length: cur[j] as number, row: ri };
        }
      }
      prev = cur;
    }
  });
  return best;
}

export type SpanCase = {
  question: string;
  rowIndex: number;
  answer: string;
  longestSpan: number;
  spanRow: number;
  contextHasRow: boolean;
};

/**
 * 20 fixed prompts `What is <headword>?` (rows evenly spaced among the held-out rows, or among the
 * training rows) with their BM25 top row as context; greedy answers; the longest verbatim span of
 * each answer in any Datanet row.
 */
export async function spanEval(
  model: Model,
  tok: TokenizerLike,
  rows: Row[],
  count = 20,
  minSpan = 8,
  from: 'held-out' | 'training' = 'held-out',
): Promise<{ cases: SpanCase[]; hits: number; minSpan: number; prompts: string }> {
  const bm = new Bm25(rows.map((r) => r.text));
  const candidates = rows.filter((r) => isHeldOut(r.index) === (from === 'held-out') && headword(r.text));
  const picked = Array.from(
    { length: Math.min(count, candidates.length) },
    (_, i) => candidates[Math.floor((i * candidates.length) / count)] as Row,
  );
  const rowIds = rows.map((r) => tok.encode(r.text, { allowSpecial: false }));
  const cases: SpanCase[] = [];
  for (const row of picked) {
    const question = `What is ${(headword(row.text) as [string, string])[0]}?`;
    const context = contextFor(bm, rows, question, null, new Rng(1)).slice(0, CONTEXT_MAX_ROWS);
    const prompt = encodeChat(tok, { context, messages: [{ role: 'user', content: question }] });
    const { ids, text } = await generateText(model, prompt, { tokenizer: tok, maxTokens: 64 });
    const s = longestSpan(ids, rowIds);
    cases.push({
      question,
      rowIndex: row.index,
      answer: text,
      longestSpan: s.length,
      spanRow: s.row,
      contextHasRow: context.includes(row.text),
    });
  }
  return {
    cases,
    hits: cases.filter((c) => c.longestSpan >= minSpan).length,
    minSpan,
    prompts: `${from} rows`,
  };
}

export type CopyProbe = {
  passages: number;
  passageTokens: number;
  /** Loss (nats/token) of each passage at its first reading. */
  firstReading: number;
  /** Loss of the same tokens read again right after (what an induction/copy mechanism lowers). */
  secondReading: number;
};

/**
 * Can the model use its context? `n` passages of `len` tokens from `stream` (seeded positions), each
 * read twice in one sequence; the loss of the second reading against the first. A model that copies
 * from its context scores the second reading far below the first; one that does not scores both alike.
 */
export async function copyProbe(
  model: Model,
  stream: Int32Array,
  opts: { passages?: number; len?: number; seed?: number; adapter?: Adapter | null } = {},
): Promise<CopyProbe> {
  const n = opts.passages ?? 32;
  const len = opts.len ?? 40;
  if (stream.length <= len)
    throw new EngineError('EMPTY_DATASET', 'copy probe: stream shorter than one passage');
  const rng = new Rng(opts.seed ?? 7);
  const first: Example[] = [];
  const second: Example[] = [];
  for (let i = 0; i < n; i++) {
    const at = rng.int(stream.length - len);
    const x = stream.subarray(at, at + len);
    const ids = Int32Array.from([...x, ...x]);
    // mask[j] weights token j as a target: x1…x(len-1) in each reading
    const m1 = new Float32Array(ids.length);
    m1.fill(1, 1, len);
    const m2 = new Float32Array(ids.length);
    m2.fill(1, len + 1, 2 * len);
    first.push({ ids, mask: m1 });
    second.push({ ids, mask: m2 });
  }
  const o = { adapter: opts.adapter ?? null, seqLen: 2 * len };
  return {
    passages: n,
    passageTokens: len,
    firstReading: (await evaluate(model, first, o)).loss,
    secondReading: (await evaluate(model, second, o)).loss,
  };
}
