// Plain typed-array float32 forward pass with a KV cache: the engine's reference numerics and its
// generation path (faster than jax-js eager for batch-1 decoding; see bench/engine.mjs).
import { headDim, type ModelConfig, PROJECTIONS, type Projection, projShape } from './config.js';
import { EngineError } from './errors.js';
import { ropeFreq } from './jax-model.js';
import { projName, type Weights } from './params.js';
import { WasmMatmul } from './wasm-matmul.js';

type LayerW = Record<Projection, Float32Array> & { ln1: Float32Array; ln2: Float32Array };

/** Per-sequence key/value cache. */
export class KvCache {
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  length = 0;
  constructor(c: ModelConfig) {
    this.k = [];
    this.v = [];
    for (let l = 0; l < c.nLayers; l++) {
      this.k.push(new Float32Array(c.contextLength * c.dModel));
      this.v.push(new Float32Array(c.contextLength * c.dModel));
    }
  }
}

/** y[n, out] = x[n, in] · Wᵀ with W [out, in] row-major. */
export function matmulT(
  x: Float32Array,
  n: number,
  inn: number,
  w: Float32Array,
  out: number,
  y?: Float32Array,
): Float32Array {
  const res = y ?? new Float32Array(n * out);
  const in4 = inn - (inn % 4);
  for (let o = 0; o < out; o++) {
    const wo = o * inn;
    for (let r = 0; r < n; r++) {
      const xo = r * inn;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let j = 0;
      for (; j < in4; j += 4) {
        s0 += (x[xo + j] as number) * (w[wo + j] as number);
        s1 += (x[xo + j + 1] as number) * (w[wo + j + 1] as number);
        s2 += (x[xo + j + 2] as number) * (w[wo + j + 2] as number);
        s3 += (x[xo + j + 3] as number) * (w[wo + j + 3] as number);
      }
      for (; j < inn; j++) s0 += (x[xo + j] as number) * (w[wo + j] as number);
      res[r * out + o] = s0 + s1 + s2 + s3;
    }
  }
  return res;
}

export class Forward {
  readonly cfg: ModelConfig;
  readonly #embed: Float32Array;
  readonly #head: Float32Array;
  readonly #norm: Float32Array;
  readonly #layers: LayerW[];
  readonly #cos: Float32Array;
  readonly #sin: Float32Array;
  readonly #wasm: WasmMatmul | null;

  constructor(cfg: ModelConfig, w: Weights, opts: { wasm?: boolean } = {}) {
    this.cfg = cfg;
    const get = (n: string): Float32Array => {
      const t = w.get(n);
      if (!t) throw new EngineError('BAD_CHECKPOINT', `weights are missing ${n}`);
      return t;
    };
    this.#embed = get('model.embed_tokens.weight');
    this.#head = cfg.tieEmbeddings ? this.#embed : get('lm_head.weight');
    this.#norm = get('model.norm.weight');
    this.#layers = [];
    for (let l = 0; l < cfg.nLayers; l++) {
      const lw: Partial<LayerW> = {
        ln1: get(`model.layers.${l}.input_layernorm.weight`),
        ln2: get(`model.layers.${l}.post_attention_layernorm.weight`),
      };
      for (const p of PROJECTIONS) lw[p] = get(projName(l, p));
      this.#layers.push(lw as LayerW);
    }
    this.#wasm = opts.wasm === false ? null : WasmMatmul.create();
    if (this.#wasm) {
      this.#wasm.add(this.#head);
      for (const L of this.#layers) for (const p of PROJECTIONS) this.#wasm.add(L[p]);
    }
    const hd = headDim(cfg);
    const half = hd / 2;
    this.#cos = new Float32Array(cfg.contextLength * half);
    this.#sin = new Float32Array(cfg.contextLength * half);
    for (let t = 0; t < cfg.contextLength; t++) {
      for (let i = 0; i < half; i++) {
        const a = t * ropeFreq(cfg, i);
        this.#cos[t * half + i] = Math.cos(a);
        this.#sin[t * half + i] = Math.sin(a);
      }
    }
  }

  newCache(): KvCache {
    return new KvCache(this.cfg);
  }

  #rms(x: Float32Array, n: number, w: Float32Array): Float32Array {
    const d = this.cfg.dModel;
    const out = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      let ss = 0;
      for (let j = 0; j < d; j++) {
        const v = x[r * d + j] as number;
        ss += v * v;
      }
      const inv = 1 / Math.sqrt(ss / d + this.cfg.normEps);
      for (let j = 0; j < d; j++) out[r * d + j] = (x[r * d + j] as number) * inv * (w[j] as number);
    }
    return out;
  }

  #rope(x: Float32Array, positions: number[]): void {
    const c = this.cfg;
    const hd = headDim(c);
    const half = hd / 2;
    for (let r = 0; r < positions.length; r++) {
      const t = positions[r] as number;
      for (let h = 0; h < c.nHeads; h++) {
        const o = r * c.dModel + h * hd;
        for (let i = 0; i < half; i++) {
          const cs = this.#cos[t * half + i] as number;
          const sn = this.#sin[t * half + i] as number;
          const a = x[o + i] as number;
          const b = x[o + i + half] as number;
          x[o + i] = a * cs - b * sn;
          x[o + i + half] = b * cs + a * sn;
        }
      }
    }
  }

  /**
   * Run `tokens` (appended at the cache's current length) and return logits [n, vocab] for all of
   * them, or only the last one when `lastOnly`.
   */
  step(cache: KvCache, tokens: ArrayLike<number>, lastOnly = true): Float32Array {
    const n = tokens.length;
    if (n === 0) throw new EngineError('EMPTY_INPUT', 'forward: no tokens to run');
    const pos0 = cache.length;
    if (pos0 + n > this.cfg.contextLength) {
      throw new EngineError(
        'CONTEXT_OVERFLOW',
        `sequence of ${pos0 + n} tokens exceeds the model's context length of ${this.cfg.contextLength}`,
      );
    }
    const rows = Array.from({ length: n }, (_, r) => ({ cache, pos: pos0 + r }));
    const h = this.#run(rows, tokens);
    cache.length = pos0 + n;
    const d = this.cfg.dModel;
    if (lastOnly) return this.#logits(h.subarray((n - 1) * d, n * d), 1);
    return this.#logits(h, n);
  }

  /** One token for each of several sequences (batched matmuls): logits [caches.length, vocab]. */
  stepBatch(caches: KvCache[], tokens: ArrayLike<number>): Float32Array {
    if (caches.length !== tokens.length || caches.length === 0)
      throw new EngineError('BAD_ARGS', 'stepBatch: one token per cache');
    const rows = caches.map((cache) => {
      if (cache.length + 1 > this.cfg.contextLength) {
        throw new EngineError(
          'CONTEXT_OVERFLOW',
          `sequence exceeds the model's context length of ${this.cfg.contextLength}`,
        );
      }
      return { cache, pos: cache.length };
    });
    const h = this.#run(rows, tokens);
    for (const c of caches) c.length++;
    return this.#logits(h, caches.length);
  }

  #logits(h: Float32Array, n: number): Float32Array {
    return this.#mm(this.#rms(h, n, this.#norm), n, this.cfg.dModel, this.#head, this.cfg.vocabSize);
  }

  #mm(x: Float32Array, n: number, inn: number, w: Float32Array, out: number): Float32Array {
    return this.#wasm?.matmulT(x, n, inn, w, out) ?? matmulT(x, n, inn, w, out);
  }

  #run(rows: { cache: KvCache; pos: number }[], tokens: ArrayLike<number>): Float32Array {
    const c = this.cfg;
    const n = rows.length;
    const d = c.dModel;
    const h = new Float32Array(n * d);
    for (let r = 0; r < n; r++) {
      const id = tokens[r] as number;
      if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) {
        throw new EngineError(
          'BAD_TOKEN',
          `token id ${id} is outside the vocabulary (0..${c.vocabSize - 1})`,
        );
      }
      h.set(this.#embed.subarray(id * d, (id + 1) * d), r * d);
    }
    const hd = headDim(c);
    const scale = 1 / Math.sqrt(hd);
    const scores = new Float64Array(c.contextLength);
    const positions = rows.map((r) => r.pos);
    for (let l = 0; l < c.nLayers; l++) {
      const L = this.#layers[l] as LayerW;
      const x = this.#rms(h, n, L.ln1);
      const q = this.#mm(x, n, d, L.q_proj, d);
      const k = this.#mm(x, n, d, L.k_proj, d);
      const v = this.#mm(x, n, d, L.v_proj, d);
      this.#rope(q, positions);
      this.#rope(k, positions);
      for (let r = 0; r < n; r++) {
        const { cache, pos } = rows[r] as { cache: KvCache; pos: number };
        (cache.k[l] as Float32Array).set(k.subarray(r * d, (r + 1) * d), pos * d);
        (cache.v[l] as Float32Array).set(v.subarray(r * d, (r + 1) * d), pos * d);
      }
      const att = new Float32Array(n * d);
      for (let r = 0; r < n; r++) {
        const { cache, pos } = rows[r] as { cache: KvCache; pos: number };
        const K = cache.k[l] as Float32Array;
        const V = cache.v[l] as Float32Array;
        const upto = pos + 1;
        for (let hh = 0; hh < c.nHeads; hh++) {
          const qo = r * d + hh * hd;
          let mx = Number.NEGATIVE_INFINITY;
          for (let t = 0; t < upto; t++) {
            const ko = t * d + hh * hd;
            let s = 0;
            for (let i = 0; i < hd; i++) s += (q[qo + i] as number) * (K[ko + i] as number);
            s *= scale;
            scores[t] = s;
            if (s > mx) mx = s;
          }
          let sum = 0;
          for (let t = 0; t < upto; t++) {
            const e = Math.exp((scores[t] as number) - mx);
            scores[t] = e;
            sum += e;
          }
          const acc = new Float64Array(hd);
          for (let t = 0; t < upto; t++) {
            const p = (scores[t] as number) / sum;
            const vo = t * d + hh * hd;
            for (let i = 0; i < hd; i++) acc[i] = (acc[i] as number) + p * (V[vo + i] as number);
          }
          att.set(acc, qo);
        }
      }
      const o = this.#mm(att, n, d, L.o_proj, d);
      for (let i = 0; i < h.length; i++) h[i] = (h[i] as number) + (o[i] as number);
      const x2 = this.#rms(h, n, L.ln2);
      const f = projShape(c, 'gate_proj')[0];
      const g = this.#mm(x2, n, d, L.gate_proj, f);
      const u = this.#mm(x2, n, d, L.up_proj, f);
      for (let i = 0; i < g.length; i++) {
        const gv = g[i] as number;
        g[i] = (gv / (1 + Math.exp(-gv))) * (u[i] as number);
      }
      const dn = this.#mm(g, n, f, L.down_proj, d);
      for (let i = 0; i < h.length; i++) h[i] = (h[i] as number) + (dn[i] as number);
    }
    return h;
  }

  /** Mean negative log-likelihood (nats) of `targets` given `inputs`, over positions where mask is 1. */
  nll(
    inputs: ArrayLike<number>,
    targets: ArrayLike<number>,
    mask?: ArrayLike<number>,
  ): { sum: number; count: number } {
    const logits = this.step(this.newCache(), inputs, false);
    const V = this.cfg.vocabSize;
    let sum = 0;
    let count = 0;
    for (let r = 0; r < inputs.length; r++) {
      const m = mask ? (mask[r] as number) : 1;
      if (m === 0) continue;
      let mx = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < V; j++) mx = Math.max(mx, logits[r * V + j] as number);
      let z = 0;
      for (let j = 0; j < V; j++) z += Math.exp((logits[r * V + j] as number) - mx);
      sum += m * (Math.log(z) + mx - (logits[r * V + (targets[r] as number)] as number));
      count += m;
    }
    return { sum, count };
  }
}
