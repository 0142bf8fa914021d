import {
  type ModelConfig,
  PROJECTIONS,
  type Projection,
  paramShapes,
  projModule,
  projShape,
} from './config.js';
import { EngineError } from './errors.js';
import { Rng } from './rng.js';

/** Base weights in the HF llama layout (linear weights [out, in], row-major float32). */
export type Weights = Map<string, Float32Array>;

/** LoRA factors for one projection in PEFT layout: A [r, in], B [out, r]. */
export type LoraPair = { a: Float32Array; b: Float32Array };

export type LoraConfig = {
  r: number;
  alpha: number;
  targets: Projection[];
};

/** A LoRA adapter: factors keyed by base weight name (e.g. `model.layers.0.self_attn.q_proj.weight`). */
export type Adapter = { config: LoraConfig; pairs: Map<string, LoraPair> };

export function projName(layer: number, p: Projection): string {
  return `model.layers.${layer}.${projModule(p)}.${p}.weight`;
}

/** Initialise base weights: normal(0, 0.02) matrices, residual outputs scaled by 1/sqrt(2·layers), norms at 1. */
export function initWeights(c: ModelConfig, seed: number): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  for (const [name, shape] of paramShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = new Float32Array(n);
    if (shape.length === 1) t.fill(1);
    else {
      const std =
        name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight')
          ? 0.02 / Math.sqrt(2 * c.nLayers)
          : 0.02;
      for (let i = 0; i < n; i++) t[i] = rng.normal() * std;
    }
    w.set(name, t);
  }
  return w;
}

/** LoRA init as in PEFT: A ~ kaiming-uniform-like small random, B = 0 (the adapter starts as identity). */
export function initAdapter(c: ModelConfig, lc: LoraConfig, seed: number): Adapter {
  if (!Number.isInteger(lc.r) || lc.r <= 0)
    throw new EngineError('BAD_CONFIG', `LoRA rank must be a positive integer, got ${lc.r}`);
  if (lc.targets.length === 0)
    throw new EngineError('BAD_CONFIG', 'LoRA needs at least one target projection');
  for (const t of lc.targets) {
    if (!PROJECTIONS.includes(t))
      throw new EngineError('BAD_CONFIG', `unknown LoRA target ${t}; use ${PROJECTIONS.join(', ')}`);
  }
  const rng = new Rng(seed);
  const pairs = new Map<string, LoraPair>();
  for (let l = 0; l < c.nLayers; l++) {
    for (const p of PROJECTIONS) {
      if (!lc.targets.includes(p)) continue;
      const [out, inn] = projShape(c, p);
      const a = new Float32Array(lc.r * inn);
      const bound = 1 / Math.sqrt(inn);
      for (let i = 0; i < a.length; i++) a[i] = (rng.uniform() * 2 - 1) * bound;
      pairs.set(projName(l, p), { a, b: new Float32Array(out * lc.r) });
    }
  }
  return { config: { ...lc, targets: [...lc.targets] }, pairs };
}

export function cloneWeights(w: Weights): Weights {
  return new Map([...w].map(([k, v]) => [k, v.slice()]));
}

export function checkWeights(c: ModelConfig, w: Weights): void {
  for (const [name, shape] of paramShapes(c)) {
    const t = w.get(name);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!t) throw new EngineError('BAD_CHECKPOINT', `checkpoint is missing tensor ${name}`);
    if (t.length !== n) {
      throw new EngineError(
        'BAD_CHECKPOINT',
        `tensor ${name} has ${t.length} values, the config needs ${n} (${shape.join('x')})`,
      );
    }
  }
}

/** W' = W + (alpha/r)·B·A for every adapted projection (sign −1 unmerges). Returns new weights. */
export function mergeAdapter(c: ModelConfig, w: Weights, ad: Adapter, sign: 1 | -1 = 1): Weights {
  const out = cloneWeights(w);
  const scale = (sign * ad.config.alpha) / ad.config.r;
  const r = ad.config.r;
  for (const [name, { a, b }] of ad.pairs) {
    const t = out.get(name);
    if (!t)
      throw new EngineError('BAD_ADAPTER', `adapter targets ${name}, which the base model does not have`);
    const inn = a.length / r;
    const o = b.length / r;
    if (t.length !== o * inn)
      throw new EngineError('BAD_ADAPTER', `adapter tensor for ${name} does not match the base shape`);
    for (let i = 0; i < o; i++) {
      for (let k = 0; k < r; k++) {
        const bik = (b[i * r + k] as number) * scale;
        if (bik === 0) continue;
        const row = i * inn;
        const arow = k * inn;
        for (let j = 0; j < inn; j++) t[row + j] = (t[row + j] as number) + bik * (a[arow + j] as number);
      }
    }
  }
  void c;
  return out;
}
