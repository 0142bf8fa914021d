// LoRA fine-tuning on Datanet rows in the retrieval format (DESIGN §5): the right row among BM25
// distractors in the context, the question `What is <headword>?`, and the answer copied from the row.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { splitRows } from '@openledger/attribution/rules';
import { CONTEXT_MAX_ROWS, CONTEXT_ROW_MAX_TOKENS, encodeChat } from './chat-template.js';
import { type Dataset, type Example, saveDataset } from './dataset.js';
import { EngineError } from './errors.js';
import { DEFAULT_INFLUENCE } from './influence.js';
import { type JobEvent, runJob, type TrainJob } from './job.js';
import type { LoraConfig } from './params.js';
import { Bm25 } from './retrieval.js';
import { Rng } from './rng.js';
import type { TokenizerLike } from './tokenizer-types.js';
import { DEFAULT_HYPER, type TrainHyper } from './train.js';

export type Row = { text: string; contributor: string; file: string; index: number };

function listFiles(path: string, depth: number): string[] {
  if (!statSync(path).isDirectory()) return [path];
  if (depth > 1) return [];
  const out: string[] = [];
  for (const f of readdirSync(path).sort()) {
    const p = join(path, f);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, depth + 1));
    else if (/\.(txt|md)$/.test(f)) out.push(p);
  }
  return out;
}

/**
 * Rows of a Datanet file, of every `.txt`/`.md` file of a folder, or of the folders inside a folder
 * (sorted by name), by the fixed row rule of DESIGN §4.4. Contributor = file name without `NN-`.
 */
export function readRows(path: string): Row[] {
  if (!existsSync(path)) throw new EngineError('MISSING_FILE', `rows: ${path} does not exist`);
  const files = listFiles(path, 0);
  const rows: Row[] = [];
  for (const file of files) {
    const name = basename(file).replace(/\.(txt|md)$/, '');
    const contributor = name.replace(/^\d+-/, '');
    for (const text of splitRows(readFileSync(file)))
      rows.push({ text, contributor, file: basename(file), index: rows.length });
  }
  if (rows.length === 0)
    throw new EngineError('EMPTY_DATASET', `rows: ${path} has no rows (no .txt/.md text split into rows)`);
  return rows;
}

/** `headword: definition` → [headword, definition] (null when the row has no such shape). */
export function headword(row: string): [string, string] | null {
  const i = row.indexOf(': ');
  if (i <= 0 || i > 80) return null;
  return [row.slice(0, i), row.slice(i + 2)];
}

export const HELD_OUT_EVERY = 10;
export const isHeldOut = (rowIndex: number): boolean => rowIndex % HELD_OUT_EVERY === HELD_OUT_EVERY - 1;

/**
 * The answer the model is taught: the row as visible in its (cut) context row, headword included,
 * so that the answer starts from words of the question and continues by copying the row.
 */
export function answerFor(tok: TokenizerLike, row: string): string | null {
  const hw = headword(row);
  if (!hw) return null;
  const visible = tok.decode(tok.encode(row, { allowSpecial: false }).slice(0, CONTEXT_ROW_MAX_TOKENS));
  if (visible.includes('\uFFFD')) return null;
  let ans = visible;
  if (visible.length < row.length) ans = ans.replace(/\s+\S*$/, ''); // drop the cut-off last word
  return ans.length >= hw[0].length + 10 ? ans.trim() : null;
}

export type QaExample = { row: Row; question: string; context: string[]; prompt: number[]; answer: number[] };

/** Context rows for a question: BM25 top rows, making sure `mustInclude` is there, in a seeded order. */
export function contextFor(
  bm: Bm25,
  rows: Row[],
  question: string,
  mustInclude: number | null,
  rng: Rng,
): string[] {
  const top = bm.search(question, CONTEXT_MAX_ROWS + 1);
  let pick = top
    .filter((i) => i !== mustInclude)
    .slice(0, mustInclude === null ? CONTEXT_MAX_ROWS : CONTEXT_MAX_ROWS - 1);
  while (pick.length < CONTEXT_MAX_ROWS - (mustInclude === null ? 0 : 1)) {
    const r = rng.int(rows.length);
    if (r !== mustInclude && !pick.includes(r)) pick.push(r);
  }
  if (mustInclude !== null) pick.splice(rng.int(pick.length + 1), 0, mustInclude);
  else pick = pick.slice(0, CONTEXT_MAX_ROWS);
  return pick.map((i) => (rows[i] as Row).text);
}

export function qaExample(tok: TokenizerLike, bm: Bm25, rows: Row[], row: Row, rng: Rng): QaExample | null {
  const hw = headword(row.text);
  const ans = answerFor(tok, row.text);
  if (!hw || !ans) return null;
  const question = `What is ${hw[0]}?`;
  const context = contextFor(bm, rows, question, row.index, rng);
  const prompt = encodeChat(tok, { context, messages: [{ role: 'user', content: question }] });
  const answer = [...tok.encode(ans, { allowSpecial: false }), tok.special.eos];
  return { row, question, context, prompt, answer };
}

export function toExample(q: QaExample): Example {
  const ids = Int32Array.from([...q.prompt, ...q.answer]);
  const mask = new Float32Array(ids.length);
  mask.fill(1, q.prompt.length);
  return { ids, mask };
}

/** Training/held-out examples for a fine-tune (`variants` contexts per training row). */
export function buildQaDataset(
  tok: TokenizerLike,
  rows: Row[],
  variants: number,
  seed: number,
  maxLen: number,
): Dataset & { qa: { train: QaExample[]; heldOut: QaExample[] } } {
  const bm = new Bm25(rows.map((r) => r.text));
  const rng = new Rng(seed);
  const train: QaExample[] = [];
  const heldOut: QaExample[] = [];
  for (const row of rows) {
    const n = isHeldOut(row.index) ? 1 : variants;
    for (let v = 0; v < n; v++) {
      const q = qaExample(tok, bm, rows, row, rng);
      if (!q || q.prompt.length + q.answer.length > maxLen) continue;
      (isHeldOut(row.index) ? heldOut : train).push(q);
    }
  }
  if (train.length === 0) {
    throw new EngineError(
      'EMPTY_DATASET',
      'no training examples: rows must look like `headword: definition` and fit the context',
    );
  }
  return { train: train.map(toExample), heldOut: heldOut.map(toExample), qa: { train, heldOut } };
}

export const FINETUNE_HYPER: TrainHyper = {
  ...DEFAULT_HYPER,
  steps: 500,
  batchSize: 8,
  accum: 1,
  seqLen: 257,
  lr: 8e-3,
  minLrRatio: 0.1,
  warmup: 10,
  weightDecay: 0,
  clip: 1,
  seed: 7,
  evalEvery: 70,
  evalExamples: 24,
};

export const DEFAULT_LORA: LoraConfig = {
  r: 8,
  alpha: 16,
  targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
};

export type FinetuneOptions = {
  rowsPath: string;
  baseDir: string;
  outDir: string;
  tokenizer: TokenizerLike;
  contextLength: number;
  hyper?: Partial<TrainHyper>;
  lora?: LoraConfig;
  variants?: number;
  restartEvery?: number;
  nice?: number;
  onEvent?: (e: JobEvent) => void;
  meta?: Record<string, unknown>;
  /** Build the gradient-influence store at the end (default true). */
  influence?: boolean;
};

export async function finetune(o: FinetuneOptions): Promise<{ train: number; heldOut: number }> {
  const rows = readRows(o.rowsPath);
  const hyper: TrainHyper = { ...FINETUNE_HYPER, padId: o.tokenizer.special.pad, ...o.hyper };
  const d = buildQaDataset(
    o.tokenizer,
    rows,
    o.variants ?? 2,
    hyper.seed,
    Math.min(o.contextLength, hyper.seqLen),
  );
  mkdirSync(join(o.outDir, 'checkpoint'), { recursive: true });
  const datasetPath = join(o.outDir, 'checkpoint', 'dataset.safetensors');
  saveDataset(datasetPath, d, { tokenizer_hash: o.tokenizer.hash });
  // One example per training row for the gradient-influence store: the row alone as its context
  // (the answer's gradient given its source; half the tokens of the distractor format).
  const seen = new Set<number>();
  const infQa = d.qa.train
    .filter((q) => !seen.has(q.row.index) && seen.add(q.row.index))
    .map((q) => ({
      ...q,
      context: [q.row.text],
      prompt: encodeChat(o.tokenizer, {
        context: [q.row.text],
        messages: [{ role: 'user', content: q.question }],
      }),
    }));
  const influencePath = join(o.outDir, 'checkpoint', 'influence-dataset.safetensors');
  saveDataset(influencePath, { train: infQa.map(toExample), heldOut: [] });
  const job: TrainJob = {
    kind: 'lora',
    outDir: o.outDir,
    datasetPath,
    tokenizerHash: o.tokenizer.hash,
    hyper,
    baseDir: o.baseDir,
    lora: o.lora ?? DEFAULT_LORA,
    initSeed: hyper.seed,
    restartEvery: o.restartEvery ?? 70,
    meta: {
      ...(o.meta ?? {}),
      rows: o.rowsPath,
      trainExamples: d.train.length,
      heldOutExamples: d.heldOut.length,
    },
    ...(o.influence === false
      ? {}
      : {
          influence: {
            datasetPath: influencePath,
            rows: infQa.map((q) => ({ rowIndex: q.row.index, contributor: q.row.contributor })),
            params: DEFAULT_INFLUENCE,
          },
        }),
  };
  await runJob(job, o.onEvent, { nice: o.nice ?? 10 });
  return { train: d.train.length, heldOut: d.heldOut.length };
}
