// Training loop: AdamW, linear warm-up + cosine decay, global-norm gradient clipping, gradient
// accumulation, held-out evaluation, checkpoint/resume (bit-identical: the data order and the
// schedule are pure functions of the step), progress events.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from './config.js';
import { type Dataset, type Example, makeBatch } from './dataset.js';
import { EngineError } from './errors.js';
import { writeAtomic } from './io.js';
import type { JaxModel } from './jax-model.js';
import { type Adapter, initAdapter, type LoraConfig, type Weights } from './params.js';
import { Rng } from './rng.js';
import { readSafetensors, type Tensor, writeSafetensors } from './safetensors.js';

export type TrainHyper = {
  steps: number;
  batchSize: number;
  /** Micro-batches per optimizer step (gradient accumulation). */
  accum: number;
  /** Longest training sequence (tokens incl. the target shift), ≤ contextLength. */
  seqLen: number;
  lr: number;
  /** Cosine decays to lr · minLrRatio. */
  minLrRatio: number;
  warmup: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global-norm gradient clip (0 = off). */
  clip: number;
  seed: number;
  evalEvery: number;
  /** Held-out examples used per evaluation (first N, fixed). */
  evalExamples: number;
  padId: number;
};

export const DEFAULT_HYPER: TrainHyper = {
  steps: 100,
  batchSize: 8,
  accum: 1,
  seqLen: 256,
  lr: 2e-3,
  minLrRatio: 0.1,
  warmup: 20,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  clip: 1,
  seed: 1,
  evalEvery: 50,
  evalExamples: 64,
  padId: 0,
};

export type ProgressEvent = {
  type: 'progress';
  step: number;
  steps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
  etaSec: number;
  evalLoss?: number;
  evalPpl?: number;
};

export type LogEntry = {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  evalLoss?: number;
  time: number;
};

export function lrAt(h: TrainHyper, step: number): number {
  if (step < h.warmup) return (h.lr * (step + 1)) / h.warmup;
  const span = Math.max(1, h.steps - h.warmup);
  const p = Math.min(1, (step - h.warmup) / span);
  return h.lr * (h.minLrRatio + (1 - h.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/** Indices of the examples in optimizer step `step`, micro-batch `micro`: per-epoch seeded shuffles. */
export function batchIndices(n: number, h: TrainHyper, step: number, micro: number): number[] {
  const out: number[] = [];
  const first = (step * h.accum + micro) * h.batchSize;
  let cachedEpoch = -1;
  let perm: number[] = [];
  for (let i = 0; i < h.batchSize; i++) {
    const g = first + i;
    const epoch = Math.floor(g / n);
    if (epoch !== cachedEpoch) {
      perm = new Rng((h.seed * 1000003 + epoch * 7919) >>> 0).shuffle(Array.from({ length: n }, (_, k) => k));
      cachedEpoch = epoch;
    }
    out.push(perm[g % n] as number);
  }
  return out;
}

type Params = Map<string, Float32Array>;

function adapterToParams(ad: Adapter): Params {
  const p: Params = new Map();
  for (const [name, pair] of ad.pairs) {
    p.set(`${name}#A`, pair.a);
    p.set(`${name}#B`, pair.b);
  }
  return p;
}

export type TrainerInit =
  | { mode: 'full'; config: ModelConfig; weights: Weights }
  | { mode: 'lora'; config: ModelConfig; base: Weights; adapter: Adapter };

export class Trainer {
  readonly h: TrainHyper;
  readonly mode: 'full' | 'lora';
  readonly config: ModelConfig;
  readonly data: Dataset;
  step = 0;
  log: LogEntry[] = [];
  weights: Weights | null;
  adapter: Adapter | null;
  #params: Params;
  #m: Params = new Map();
  #v: Params = new Map();
  #model: JaxModel;

  constructor(model: JaxModel, init: TrainerInit, data: Dataset, h: TrainHyper) {
    if (data.train.length === 0)
      throw new EngineError('EMPTY_DATASET', 'the training set is empty: give at least one row');
    if (h.seqLen - 1 > init.config.contextLength) {
      throw new EngineError(
        'BAD_CONFIG',
        `seqLen ${h.seqLen} (inputs + 1 target shift) exceeds the model context length ${init.config.contextLength}`,
      );
    }
    this.h = h;
    this.mode = init.mode;
    this.config = init.config;
    this.data = data;
    this.#model = model;
    if (init.mode === 'full') {
      this.weights = init.weights;
      this.adapter = null;
      this.#params = init.weights;
    } else {
      this.weights = init.base;
      this.adapter = init.adapter;
      this.#params = adapterToParams(init.adapter);
      model.freezeBase(init.base);
    }
    for (const [k, v] of this.#params) {
      this.#m.set(k, new Float32Array(v.length));
      this.#v.set(k, new Float32Array(v.length));
    }
  }

  static newLora(
    model: JaxModel,
    config: ModelConfig,
    base: Weights,
    lc: LoraConfig,
    data: Dataset,
    h: TrainHyper,
  ): Trainer {
    return new Trainer(
      model,
      { mode: 'lora', config, base, adapter: initAdapter(config, lc, h.seed + 17) },
      data,
      h,
    );
  }

  #decays(name: string): boolean {
    if (this.mode === 'lora') return false;
    return !name.includes('norm');
  }

  async #grads(xs: Example[], scale: number): Promise<{ loss: number; grads: Params; tokens: number }> {
    const b = makeBatch(xs, this.h.seqLen - 1, this.h.padId);
    let tokens = 0;
    for (let i = 0; i < b.mask.length; i++) tokens += b.mask[i] as number;
    if (tokens === 0) return { loss: 0, grads: new Map(), tokens: 0 };
    if (this.mode === 'full') {
      const r = await this.#model.lossAndGrad(this.#params, b, scale);
      return { loss: r.loss, grads: r.grads, tokens };
    }
    const r = await this.#model.loraLossAndGrad(this.adapter as Adapter, b, scale);
    return {
      loss: r.loss,
      grads: adapterToParams({ config: (this.adapter as Adapter).config, pairs: r.grads }),
      tokens,
    };
  }

  /** One optimizer step (with `accum` micro-batches). */
  async trainStep(): Promise<LogEntry> {
    const h = this.h;
    const t0 = performance.now();
    const sum: Params = new Map();
    let loss = 0;
    let tokens = 0;
    for (let m = 0; m < h.accum; m++) {
      const xs = batchIndices(this.data.train.length, h, this.step, m).map(
        (i) => this.data.train[i] as Example,
      );
      const r = await this.#grads(xs, 1 / h.accum);
      loss += r.loss / h.accum;
      tokens += r.tokens;
      for (const [k, g] of r.grads) {
        const acc = sum.get(k);
        if (!acc) sum.set(k, g);
        else for (let i = 0; i < g.length; i++) acc[i] = (acc[i] as number) + (g[i] as number);
      }
    }
    let sq = 0;
    for (const g of sum.values()) for (let i = 0; i < g.length; i++) sq += (g[i] as number) ** 2;
    const gradNorm = Math.sqrt(sq);
    const clipScale = h.clip > 0 && gradNorm > h.clip ? h.clip / gradNorm : 1;
    const lr = lrAt(h, this.step);
    const t = this.step + 1;
    const bc1 = 1 - h.beta1 ** t;
    const bc2 = 1 - h.beta2 ** t;
    for (const [k, p] of this.#params) {
      const g = sum.get(k);
      if (!g) continue;
      const m = this.#m.get(k) as Float32Array;
      const v = this.#v.get(k) as Float32Array;
      const wd = this.#decays(k) ? h.weightDecay : 0;
      for (let i = 0; i < p.length; i++) {
        const gi = (g[i] as number) * clipScale;
        const mi = h.beta1 * (m[i] as number) + (1 - h.beta1) * gi;
        const vi = h.beta2 * (v[i] as number) + (1 - h.beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        const pi = p[i] as number;
        p[i] = pi - lr * (mi / bc1 / (Math.sqrt(vi / bc2) + h.eps) + wd * pi);
      }
    }
    this.step++;
    const entry: LogEntry = {
      step: this.step,
      loss,
      lr,
      gradNorm,
      tokens,
      time: (performance.now() - t0) / 1000,
    };
    this.log.push(entry);
    return entry;
  }

  /** Mean held-out loss (nats/token) over the first `evalExamples` held-out examples. */
  async evaluate(examples?: Example[]): Promise<{ loss: number; ppl: number; tokens: number }> {
    const xs = examples ?? this.data.heldOut.slice(0, this.h.evalExamples);
    if (xs.length === 0) throw new EngineError('EMPTY_DATASET', 'no held-out examples to evaluate on');
    return evaluateLoss(
      this.#model,
      this.mode === 'full' ? this.#params : null,
      this.adapter,
      xs,
      this.h.seqLen,
      this.h.batchSize,
      this.h.padId,
    );
  }

  async run(
    untilStep: number,
    onEvent?: (e: ProgressEvent) => void,
    shouldStop?: () => boolean,
  ): Promise<void> {
    const start = performance.now();
    let tok = 0;
    let ran = 0;
    while (this.step < Math.min(untilStep, this.h.steps)) {
      const e = await this.trainStep();
      tok += e.tokens;
      ran++;
      const el = (performance.now() - start) / 1000;
      const tps = tok / el;
      const stepsLeft = this.h.steps - this.step;
      const ev: ProgressEvent = {
        type: 'progress',
        step: this.step,
        steps: this.h.steps,
        loss: e.loss,
        lr: e.lr,
        gradNorm: e.gradNorm,
        tokensPerSec: tps,
        etaSec: (stepsLeft * el) / ran,
      };
      if (
        this.h.evalEvery > 0 &&
        (this.step % this.h.evalEvery === 0 || this.step === this.h.steps) &&
        this.data.heldOut.length > 0
      ) {
        const r = await this.evaluate();
        e.evalLoss = r.loss;
        ev.evalLoss = r.loss;
        ev.evalPpl = r.ppl;
      }
      onEvent?.(ev);
      if (shouldStop?.()) break;
    }
  }

  /** Save trainer state: trainable params, AdamW moments, step and log (atomic files). */
  saveCheckpoint(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const toT = (p: Params): Map<string, Tensor> =>
      new Map([...p].map(([k, v]) => [k, { shape: [v.length], data: v }]));
    writeAtomic(join(dir, 'params.safetensors'), writeSafetensors(toT(this.#params)));
    const opt = new Map<string, Tensor>();
    for (const [k, v] of this.#m) opt.set(`m:${k}`, { shape: [v.length], data: v });
    for (const [k, v] of this.#v) opt.set(`v:${k}`, { shape: [v.length], data: v });
    writeAtomic(join(dir, 'optimizer.safetensors'), writeSafetensors(opt));
    const state = {
      step: this.step,
      mode: this.mode,
      hyper: this.h,
      log: this.log,
      lora: this.adapter?.config ?? null,
    };
    writeAtomic(join(dir, 'state.json'), `${JSON.stringify(state)}\n`);
  }

  /** Restore from `saveCheckpoint` output; returns false when there is no checkpoint there. */
  loadCheckpoint(dir: string): boolean {
    const sp = join(dir, 'state.json');
    if (!existsSync(sp)) return false;
    const state = JSON.parse(readFileSync(sp, 'utf8')) as { step: number; mode: string; log: LogEntry[] };
    if (state.mode !== this.mode)
      throw new EngineError(
        'BAD_CHECKPOINT',
        `checkpoint in ${dir} is for ${state.mode} training, not ${this.mode}`,
      );
    const params = readSafetensors(readFileSync(join(dir, 'params.safetensors'))).tensors;
    const opt = readSafetensors(readFileSync(join(dir, 'optimizer.safetensors'))).tensors;
    for (const [k, p] of this.#params) {
      const t = params.get(k);
      const m = opt.get(`m:${k}`);
      const v = opt.get(`v:${k}`);
      if (!t || !m || !v || t.data.length !== p.length)
        throw new EngineError('BAD_CHECKPOINT', `checkpoint in ${dir} does not match tensor ${k}`);
      p.set(t.data);
      (this.#m.get(k) as Float32Array).set(m.data);
      (this.#v.get(k) as Float32Array).set(v.data);
    }
    this.step = state.step;
    this.log = state.log;
    return true;
  }
}

export async function evaluateLoss(
  model: JaxModel,
  weights: Weights | null,
  adapter: Adapter | null,
  xs: Example[],
  seqLen: number,
  batchSize: number,
  padId: number,
): Promise<{ loss: number; ppl: number; tokens: number }> {
  if (xs.length === 0) throw new EngineError('EMPTY_DATASET', 'no examples to evaluate on');
  let total = 0;
  let count = 0;
  for (let i = 0; i < xs.length; i += batchSize) {
    const b = makeBatch(xs.slice(i, i + batchSize), seqLen - 1, padId);
    const r = await model.loss(weights, adapter, b);
    total += r.loss * r.count;
    count += r.count;
  }
  const loss = count > 0 ? total / count : Number.NaN;
  return { loss, ppl: Math.exp(loss), tokens: count };
}
