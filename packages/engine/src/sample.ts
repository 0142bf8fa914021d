// Token sampling: greedy, temperature, top-k, top-p, driven by an explicit seed (replayable).
import { EngineError } from './errors.js';
import type { Rng } from './rng.js';

export type SamplingOptions = {
  /** 0 = greedy (argmax, lowest id on ties). */
  temperature?: number;
  /** Keep the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set whose probability reaches p (1 = all). */
  topP?: number;
};

export function checkSampling(o: SamplingOptions): void {
  const t = o.temperature ?? 0;
  if (!(t >= 0) || !Number.isFinite(t))
    throw new EngineError('BAD_ARGS', `temperature must be ≥ 0, got ${t}`);
  const k = o.topK ?? 0;
  if (!Number.isInteger(k) || k < 0)
    throw new EngineError('BAD_ARGS', `topK must be a non-negative integer, got ${k}`);
  const p = o.topP ?? 1;
  if (!(p > 0 && p <= 1)) throw new EngineError('BAD_ARGS', `topP must be in (0, 1], got ${p}`);
}

export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bv = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/** Pick the next token id from logits. Deterministic given the Rng state. */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  const t = o.temperature ?? 0;
  if (t === 0) return argmax(logits);
  const n = logits.length;
  // Candidates sorted by logit desc, then id asc (a total order, so the result is replayable).
  let idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
  const k = o.topK ?? 0;
  if (k > 0 && k < n) idx = idx.slice(0, k);
  const mx = logits[idx[0] as number] as number;
  let probs = idx.map((i) => Math.exp(((logits[i] as number) - mx) / t));
  let z = probs.reduce((s, v) => s + v, 0);
  const p = o.topP ?? 1;
  if (p < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < probs.length) {
      cum += (probs[keep] as number) / z;
      keep++;
      if (cum >= p) break;
    }
    idx = idx.slice(0, keep);
    probs = probs.slice(0, keep);
    z = probs.reduce((s, v) => s + v, 0);
  }
  let u = rng.uniform() * z;
  for (let j = 0; j < idx.length; j++) {
    u -= probs[j] as number;
    if (u < 0) return idx[j] as number;
  }
  return idx[idx.length - 1] as number;
}
