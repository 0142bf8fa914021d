// `train-base`: build the pre-training dataset from data/base/gcide.txt and run the base job.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseDataset, baseStreams, HELD_OUT_EVERY, splitEntries } from './base-data.js';
import { DEFAULT_BASE_CONFIG, type ModelConfig } from './config.js';
import { type Dataset, type Example, packStream, saveDataset } from './dataset.js';
import { EngineError } from './errors.js';
import { qaExample, type Row, toExample } from './finetune.js';
import { type JobEvent, runJob, type TrainJob } from './job.js';
import { Bm25 } from './retrieval.js';
import { Rng } from './rng.js';
import type { TokenizerLike } from './tokenizer-types.js';
import { DEFAULT_HYPER, type TrainHyper } from './train.js';

export const BASE_HYPER: TrainHyper = {
  ...DEFAULT_HYPER,
  steps: 300,
  batchSize: 8,
  accum: 1,
  seqLen: 257,
  lr: 2e-3,
  minLrRatio: 0.1,
  warmup: 30,
  weightDecay: 0.1,
  clip: 1,
  seed: 1,
  evalEvery: 60,
  evalExamples: 16,
};

/**
 * From step 120 on: 4× smaller batches (same tokens per second, 4× more updates per token; measured
 * here, the shared machine left time for only ~370k tokens) with a √4-scaled learning rate and a
 * fresh data order (seed 2) so the second phase does not replay the first one's windows.
 */
export const BASE_PHASES: { fromStep: number; hyper: Partial<TrainHyper> }[] = [
  { fromStep: 120, hyper: { batchSize: 2, lr: 1.2e-3, seed: 2 } },
];

export type TrainBaseOptions = {
  corpusPath: string;
  outDir: string;
  tokenizer: TokenizerLike;
  config?: ModelConfig;
  hyper?: Partial<TrainHyper>;
  restartEvery?: number;
  nice?: number;
  onEvent?: (e: JobEvent) => void;
};

export async function trainBase(o: TrainBaseOptions): Promise<void> {
  if (!existsSync(o.corpusPath))
    throw new EngineError('MISSING_FILE', `base corpus ${o.corpusPath} does not exist`);
  const config = o.config ?? { ...DEFAULT_BASE_CONFIG, vocabSize: o.tokenizer.vocabSize };
  const hyper: TrainHyper = { ...BASE_HYPER, padId: o.tokenizer.special.pad, ...o.hyper };
  mkdirSync(join(o.outDir, 'checkpoint'), { recursive: true });
  const datasetPath = join(o.outDir, 'checkpoint', 'dataset.safetensors');
  if (!existsSync(datasetPath)) {
    const d = baseDataset(readFileSync(o.corpusPath, 'utf8'), o.tokenizer, hyper.seqLen - 1);
    if (d.train.length === 0)
      throw new EngineError('EMPTY_DATASET', `base corpus ${o.corpusPath} gives no training windows`);
    saveDataset(datasetPath, d, { tokenizer_hash: o.tokenizer.hash });
  }
  const job: TrainJob = {
    kind: 'base',
    outDir: o.outDir,
    datasetPath,
    tokenizerHash: o.tokenizer.hash,
    hyper,
    config,
    initSeed: 42,
    restartEvery: o.restartEvery ?? 120,
    ...(o.hyper ? {} : { phases: BASE_PHASES }),
    meta: { corpus: 'data/base/gcide.txt' },
  };
  await runJob(job, o.onEvent, { nice: o.nice ?? 10 });
}

export const CONTINUE_HYPER: TrainHyper = {
  ...BASE_HYPER,
  steps: 1000,
  lr: 1e-3,
  minLrRatio: 0.05,
  warmup: 20,
  seed: 11,
  evalEvery: 100,
  evalExamples: 16,
};

/** One training example in `REPEAT_EVERY` of the continued stage is a repeat window. */
export const REPEAT_EVERY = 8;

/**
 * A repeat window of `seq` tokens: a passage X of the training stream (a quarter to a half of `seq`) followed by X again and then by
 * the text that follows X, loss on every token. Natural dictionary text almost never repeats itself,
 * so stage 1 left the model unable to use its context (a passage read twice cost as much the second
 * time); these windows give it a reason to learn induction (attend to what followed the earlier
 * occurrence of the current token), which is what copying a retrieved row needs.
 */
export function repeatWindows(stream: Int32Array, count: number, seq: number, seed: number): Example[] {
  const rng = new Rng(seed);
  const out: Example[] = [];
  for (let i = 0; i < count; i++) {
    const quarter = Math.floor(seq / 4);
    const len = quarter + rng.int(quarter + 1);
    const at = rng.int(stream.length - seq - 1);
    const ids = new Int32Array(seq);
    ids.set(stream.subarray(at, at + len), 0);
    ids.set(stream.subarray(at, at + seq - len), len);
    out.push({ ids });
  }
  return out;
}

/**
 * Stage 2 of the base model: continue stage 1's weights on the language-model windows of the base
 * corpus with one repeat window in `REPEAT_EVERY` examples (held-out evaluation stays on plain
 * language-model windows, so its loss is comparable with stage 1 and the n-gram baselines).
 */
export async function trainBaseContinue(o: TrainBaseOptions & { initFrom: string }): Promise<void> {
  await runStage(
    o,
    CONTINUE_HYPER,
    'continue: language modelling with repeat windows',
    120,
    (text, hyper) => {
      const d = baseDataset(text, o.tokenizer, hyper.seqLen - 1);
      const count = Math.floor(d.train.length / (REPEAT_EVERY - 1));
      const reps = repeatWindows(d.streams.train, count, hyper.seqLen, hyper.seed);
      return { train: [...d.train, ...reps], heldOut: d.heldOut };
    },
  );
}

/**
 * Run a later base stage (continued from `o.initFrom`): `defaults` overridden by `o.hyper`; the
 * stage's dataset is built by `build` once and kept in the checkpoint, so a resumed run reuses it.
 */
async function runStage(
  o: TrainBaseOptions & { initFrom: string },
  defaults: TrainHyper,
  stage: string,
  restartEvery: number,
  build: (text: string, hyper: TrainHyper) => Dataset,
): Promise<void> {
  if (!existsSync(o.corpusPath))
    throw new EngineError('MISSING_FILE', `base corpus ${o.corpusPath} does not exist`);
  const hyper: TrainHyper = { ...defaults, padId: o.tokenizer.special.pad, ...o.hyper };
  mkdirSync(join(o.outDir, 'checkpoint'), { recursive: true });
  const datasetPath = join(o.outDir, 'checkpoint', 'dataset.safetensors');
  if (!existsSync(datasetPath))
    saveDataset(datasetPath, build(readFileSync(o.corpusPath, 'utf8'), hyper), {
      tokenizer_hash: o.tokenizer.hash,
    });
  const job: TrainJob = {
    kind: 'base',
    outDir: o.outDir,
    datasetPath,
    tokenizerHash: o.tokenizer.hash,
    hyper,
    config: o.config ?? { ...DEFAULT_BASE_CONFIG, vocabSize: o.tokenizer.vocabSize },
    initSeed: 42,
    initFrom: o.initFrom,
    restartEvery: o.restartEvery ?? restartEvery,
    meta: { corpus: 'data/base/gcide.txt', stage, initFrom: o.initFrom },
  };
  await runJob(job, o.onEvent, { nice: o.nice ?? 10 });
}

export const RETRIEVAL_HYPER: TrainHyper = {
  ...DEFAULT_HYPER,
  steps: 200,
  batchSize: 8,
  accum: 1,
  seqLen: 257,
  lr: 2e-3,
  minLrRatio: 0.1,
  warmup: 20,
  weightDecay: 0.1,
  clip: 1,
  seed: 3,
  evalEvery: 50,
  evalExamples: 24,
};

/**
 * Stage 2 of the base model: continued full training on the retrieval format built from the base
 * corpus itself (GCIDE entries as context rows among BM25 neighbours, `What is <headword>?`, the
 * entry copied as the answer). Stage 1 leaves the model unable to copy from its context (measured:
 * the loss of a repeated passage equals that of its first reading), which a rank-8 adapter could not
 * teach it in a few hundred steps; after this stage an adapter only has to adapt to its domain.
 */
export async function trainBaseRetrieval(
  o: TrainBaseOptions & { initFrom: string; examples?: number },
): Promise<void> {
  await runStage(o, RETRIEVAL_HYPER, 'retrieval format on the base corpus', 100, (text, hyper) => {
    const rows: Row[] = splitEntries(text).map((e, i) => ({
      text: e,
      contributor: 'gcide',
      file: 'gcide.txt',
      index: i,
    }));
    const bm = new Bm25(rows.map((r) => r.text));
    const rng = new Rng(hyper.seed);
    const want = o.examples ?? 2400;
    const isHeld = (i: number): boolean => i % HELD_OUT_EVERY === HELD_OUT_EVERY - 1;
    const trainIdx = rows.filter((r) => !isHeld(r.index) && r.text.length < 600).map((r) => r.index);
    const heldIdx = rows.filter((r) => isHeld(r.index) && r.text.length < 600).map((r) => r.index);
    const pick = (xs: number[], n: number): number[] =>
      Array.from({ length: Math.min(n, xs.length) }, (_, i) => xs[Math.floor((i * xs.length) / n)] as number);
    const mk = (idx: number[]): Example[] => {
      const out: Example[] = [];
      for (const i of idx) {
        const q = qaExample(o.tokenizer, bm, rows, rows[i] as Row, rng);
        if (q && q.prompt.length + q.answer.length <= hyper.seqLen) out.push(toExample(q));
      }
      return out;
    };
    return { train: mk(pick(trainIdx, want)), heldOut: mk(pick(heldIdx, 48)) };
  });
}

export const COPY_HYPER: TrainHyper = {
  ...BASE_HYPER,
  steps: 300,
  batchSize: 16,
  lr: 1e-3,
  minLrRatio: 0.3,
  warmup: 5,
  seed: 5,
  evalEvery: 100,
  evalExamples: 16,
};

/** Longest passage of a copy window; passages are 8…COPY_PASSAGE tokens, gaps 0…COPY_GAP. */
export const COPY_PASSAGE = 32;
export const COPY_GAP = 16;

/**
 * A copy window: X G X for X = 8–32 tokens and G = 0–16 tokens drawn uniformly from the non-special
 * ids (seeded), loss on the second X only. Random X cannot be predicted from language statistics,
 * and the varying lengths mean no fixed look-back distance works either, so the only way to lower
 * that loss is to find the earlier occurrence of the current token and copy what followed it (an
 * induction mechanism), which is what copying a retrieved row needs.
 */
export function copyWindows(
  count: number,
  vocab: number,
  specials: readonly number[],
  seed: number,
): Example[] {
  const rng = new Rng(seed);
  const banned = new Set(specials);
  const draw = (): number => {
    for (;;) {
      const v = rng.int(vocab);
      if (!banned.has(v)) return v;
    }
  };
  const out: Example[] = [];
  for (let i = 0; i < count; i++) {
    const x = Array.from({ length: 8 + rng.int(COPY_PASSAGE - 7) }, draw);
    const gap = Array.from({ length: rng.int(COPY_GAP + 1) }, draw);
    const ids = Int32Array.from([...x, ...gap, ...x]);
    const mask = new Float32Array(ids.length);
    mask.fill(1, x.length + gap.length + 1);
    out.push({ ids, mask });
  }
  return out;
}

/**
 * Stage 3 of the base model: copy windows mixed 1:1 with language-model windows of the same length
 * (short windows, so the stage is cheap). Held-out evaluation stays on the full-length
 * language-model windows of stage 1 and 2.
 */
export async function trainBaseCopy(o: TrainBaseOptions & { initFrom: string }): Promise<void> {
  const stage = 'copy: random-token copy windows mixed 1:1 with language modelling';
  await runStage(o, COPY_HYPER, stage, 100, (text, hyper) => {
    const s = baseStreams(text, o.tokenizer);
    const lm = packStream(s.train, 2 * COPY_PASSAGE);
    const specials = Object.values(o.tokenizer.special);
    const copies = copyWindows(lm.length, o.tokenizer.vocabSize, specials, hyper.seed);
    return { train: [...lm, ...copies], heldOut: packStream(s.heldOut, hyper.seqLen - 1) };
  });
}
