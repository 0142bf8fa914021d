// `train-base`: build the pre-training dataset from data/base/gcide.txt and run the base job.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseDataset } from './base-data.js';
import { DEFAULT_BASE_CONFIG, type ModelConfig } from './config.js';
import { saveDataset } from './dataset.js';
import { EngineError } from './errors.js';
import { type JobEvent, runJob, type TrainJob } from './job.js';
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
