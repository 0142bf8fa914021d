// Training jobs run in a child process that trains up to `restartEvery` steps, checkpoints and exits;
// the parent restarts it from the checkpoint until the job is done. jax-js's eager mode grows the
// heap a little every step, so restarting keeps memory bounded. Progress comes back over IPC.
import { fork } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from './config.js';
import { EngineError } from './errors.js';
import type { InfluenceParams, InfluenceRow } from './influence.js';
import { jaxThreads } from './jax-env.js';
import type { LoraConfig } from './params.js';
import type { ProgressEvent, TrainHyper } from './train.js';

export type TrainJob = {
  kind: 'base' | 'lora';
  /** Output directory: final model/adapter files; `checkpoint/` and `train-log.jsonl` inside. */
  outDir: string;
  /** Dataset file written by `saveDataset`. */
  datasetPath: string;
  tokenizerHash: string;
  hyper: TrainHyper;
  /** base: the architecture; lora: read from baseDir. */
  config?: ModelConfig;
  /** lora: directory of the base model. */
  baseDir?: string;
  lora?: LoraConfig;
  /** Seed for the initial weights. */
  initSeed: number;
  /** base: start from this model directory's weights instead of a random init (continued training). */
  initFrom?: string;
  /** Worker restarts after this many steps (eager jax-js memory growth stays bounded). */
  restartEvery: number;
  /**
   * Later phases: from `fromStep` on, `hyper` fields are overridden (e.g. a smaller batch). The
   * worker restarts at each phase boundary, so every phase resumes from a checkpoint.
   */
  phases?: { fromStep: number; hyper: Partial<TrainHyper> }[];
  /** Extra metadata recorded with the output. */
  meta?: Record<string, unknown>;
  /** lora: at the end, store each row's projected gradient (one example per row in `datasetPath`'s train split). */
  influence?: { datasetPath: string; rows: InfluenceRow[]; params: InfluenceParams };
};

export type WorkerMessage =
  | ProgressEvent
  | { type: 'rss'; step: number; rssMiB: number; pid: number }
  | { type: 'paused'; step: number }
  | { type: 'influence'; done: number; total: number }
  | { type: 'done'; step: number; evalLoss?: number }
  | { type: 'error'; code: string; message: string };

export type JobEvent = WorkerMessage | { type: 'restart'; step: number; restarts: number };

/**
 * Kernel threads of a training worker: `OPENLEDGER_JAX_THREADS` when set, else one per core (at
 * most 8). Measured here (bench/engine.mjs): 2 threads train 1.7× faster than 1 on 2 cores; a third
 * thread on 2 cores is slower than 2.
 */
export function workerThreads(): number {
  const raw = process.env.OPENLEDGER_JAX_THREADS;
  if (raw !== undefined && raw !== '') return jaxThreads();
  return Math.max(1, Math.min(8, availableParallelism()));
}

/** Run a job to completion (resuming from its checkpoint if there is one). */
export async function runJob(
  job: TrainJob,
  onEvent?: (e: JobEvent) => void,
  opts: { nice?: number } = {},
): Promise<void> {
  mkdirSync(job.outDir, { recursive: true });
  const jobPath = join(job.outDir, 'job.json');
  writeFileSync(jobPath, `${JSON.stringify(job, null, 2)}\n`);
  const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
  const logPath = join(job.outDir, 'train-log.jsonl');
  let restarts = 0;
  for (;;) {
    const result = await new Promise<WorkerMessage>((resolve, reject) => {
      const child = fork(worker, [jobPath], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { ...process.env, OPENLEDGER_JAX_THREADS: String(workerThreads()) },
      });
      if (opts.nice !== undefined && child.pid !== undefined) {
        try {
          setPriority(child.pid, opts.nice);
        } catch {
          // not permitted: run at normal priority
        }
      }
      let last: WorkerMessage | null = null;
      child.on('message', (m: WorkerMessage) => {
        if (m.type === 'progress')
          appendFileSync(logPath, `${JSON.stringify({ ...m, time: new Date().toISOString() })}\n`);
        if (m.type === 'paused' || m.type === 'done' || m.type === 'error') last = m;
        else onEvent?.(m);
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        if (last) resolve(last);
        else
          reject(
            new EngineError(
              'WORKER_CRASHED',
              `training worker exited with code ${code} before reporting; the checkpoint in ${job.outDir}/checkpoint is intact, run again to resume`,
            ),
          );
      });
    });
    if (result.type === 'error') throw new EngineError(result.code, result.message);
    if (result.type === 'done') {
      onEvent?.(result);
      return;
    }
    if (result.type !== 'paused')
      throw new EngineError(
        'WORKER_CRASHED',
        `training worker ended with an unexpected ${result.type} message`,
      );
    restarts++;
    onEvent?.({ type: 'restart', step: result.step, restarts });
  }
}

/** The hyper-parameters in force at `step` (base hyper plus the overrides of the phases started). */
export function hyperAt(job: TrainJob, step: number): TrainHyper {
  let h = job.hyper;
  for (const p of job.phases ?? []) if (step >= p.fromStep) h = { ...h, ...p.hyper };
  return h;
}

/** First phase boundary after `step` (or Infinity). */
export function nextPhase(job: TrainJob, step: number): number {
  return Math.min(
    Number.POSITIVE_INFINITY,
    ...(job.phases ?? []).map((p) => p.fromStep).filter((s) => s > step),
  );
}

export function readJob(path: string): TrainJob {
  if (!existsSync(path)) throw new EngineError('MISSING_FILE', `job file ${path} does not exist`);
  return JSON.parse(readFileSync(path, 'utf8')) as TrainJob;
}
