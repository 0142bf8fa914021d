// The llama forward/backward on @jax-js/jax (wasm). This is the only module (with jax-env.ts) that
// touches jax-js; the rest of the engine sees plain Float32Arrays through `JaxModel`.
// Memory rule of jax-js: every use of an Array consumes a reference; `.ref` keeps one alive.
import type * as JaxNs from '@jax-js/jax';
import { headDim, type ModelConfig, PROJECTIONS, type Projection, projShape } from './config.js';
import { loadJax } from './jax-env.js';
import { type Adapter, type LoraPair, projName, type Weights } from './params.js';

type Jax = typeof JaxNs;
type Arr = JaxNs.Array;

/** A training batch: `batch × seq` token ids, next-token targets and per-position loss weights. */
export type Batch = {
  batch: number;
  seq: number;
  inputs: Int32Array;
  targets: Int32Array;
  /** 1 where the target counts in the loss, 0 elsewhere (padding, prompt). */
  mask: Float32Array;
};

type Layer = Record<'ln1' | 'ln2' | Projection, Arr>;
type Tree = { embed: Arr; norm: Arr; head?: Arr; layers: Layer[] };
type LoraLayer = Partial<Record<Projection, { a: Arr; b: Arr }>>;
type LoraTree = { layers: LoraLayer[] };
/** Per-layer, per-projection output probes (zeros) whose gradients are the output gradients δ. */
type ProbeTree = { layers: Partial<Record<Projection, Arr>>[] };

export type LossAndGrad = { loss: number; grads: Map<string, Float32Array> };
export type LoraLossAndGrad = { loss: number; grads: Map<string, LoraPair> };
/** Per-example projected quantities for gradient influence: for each adapted module, δ·Pᵀ and x·Aᵀ·... */
export type ModuleTraces = { name: string; delta: Float32Array; xa: Float32Array; out: number; r: number }[];

function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const dst = new Float32Array(src.length);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) dst[j * rows + i] = src[o + j] as number;
  }
  return dst;
}

const SHORT: Record<Projection, Projection> = {
  q_proj: 'q_proj',
  k_proj: 'k_proj',
  v_proj: 'v_proj',
  o_proj: 'o_proj',
  gate_proj: 'gate_proj',
  up_proj: 'up_proj',
  down_proj: 'down_proj',
};

export class JaxModel {
  readonly cfg: ModelConfig;
  #jax: Jax;
  #consts = new Map<string, { cos: Arr; sin: Arr; rot: Arr; mask: Arr }>();
  #frozen: Tree | null = null;

  private constructor(jax: Jax, cfg: ModelConfig) {
    this.#jax = jax;
    this.cfg = cfg;
  }

  static async create(cfg: ModelConfig): Promise<JaxModel> {
    return new JaxModel(await loadJax(), cfg);
  }

  #np(): Jax['numpy'] {
    return this.#jax.numpy;
  }

  #upload(data: Float32Array, shape: number[]): Arr {
    return this.#np().array(data).reshape(shape);
  }

  /** Base weights → jax tree ([in, out] matrices). */
  #tree(w: Weights): Tree {
    const c = this.cfg;
    const get = (n: string): Float32Array => {
      const t = w.get(n);
      if (!t) throw new Error(`missing weight ${n}`);
      return t;
    };
    const layers: Layer[] = [];
    for (let l = 0; l < c.nLayers; l++) {
      const layer: Partial<Layer> = {
        ln1: this.#upload(get(`model.layers.${l}.input_layernorm.weight`), [c.dModel]),
        ln2: this.#upload(get(`model.layers.${l}.post_attention_layernorm.weight`), [c.dModel]),
      };
      for (const p of PROJECTIONS) {
        const [out, inn] = projShape(c, p);
        layer[p] = this.#upload(transpose2d(get(projName(l, p)), out, inn), [inn, out]);
      }
      layers.push(layer as Layer);
    }
    const tree: Tree = {
      embed: this.#upload(get('model.embed_tokens.weight'), [c.vocabSize, c.dModel]),
      norm: this.#upload(get('model.norm.weight'), [c.dModel]),
      layers,
    };
    if (!c.tieEmbeddings)
      tree.head = this.#upload(transpose2d(get('lm_head.weight'), c.vocabSize, c.dModel), [
        c.dModel,
        c.vocabSize,
      ]);
    return tree;
  }

  async #treeToWeights(t: Tree): Promise<Map<string, Float32Array>> {
    const c = this.cfg;
    const out = new Map<string, Float32Array>();
    const read = async (a: Arr): Promise<Float32Array> => (await a.data()) as Float32Array;
    out.set('model.embed_tokens.weight', (await read(t.embed)).slice());
    for (let l = 0; l < c.nLayers; l++) {
      const layer = t.layers[l] as Layer;
      out.set(`model.layers.${l}.input_layernorm.weight`, (await read(layer.ln1)).slice());
      out.set(`model.layers.${l}.post_attention_layernorm.weight`, (await read(layer.ln2)).slice());
      for (const p of PROJECTIONS) {
        const [o, inn] = projShape(c, p);
        out.set(projName(l, p), transpose2d(await read(layer[p]), inn, o));
      }
    }
    out.set('model.norm.weight', (await read(t.norm)).slice());
    if (t.head) out.set('lm_head.weight', transpose2d(await read(t.head), c.dModel, c.vocabSize));
    return out;
  }

  #loraTree(ad: Adapter): LoraTree {
    const c = this.cfg;
    const r = ad.config.r;
    const layers: LoraLayer[] = [];
    for (let l = 0; l < c.nLayers; l++) {
      const layer: LoraLayer = {};
      for (const p of ad.config.targets) {
        const pair = ad.pairs.get(projName(l, p));
        if (!pair) continue;
        const [out, inn] = projShape(c, p);
        layer[p] = {
          a: this.#upload(transpose2d(pair.a, r, inn), [inn, r]),
          b: this.#upload(transpose2d(pair.b, out, r), [r, out]),
        };
      }
      layers.push(layer);
    }
    return { layers };
  }

  #constsFor(seq: number): { cos: Arr; sin: Arr; rot: Arr; mask: Arr } {
    let k = this.#consts.get(String(seq));
    if (!k) {
      const np = this.#np();
      const c = this.cfg;
      const hd = headDim(c);
      const half = hd / 2;
      const cos = new Float32Array(seq * hd);
      const sin = new Float32Array(seq * hd);
      for (let t = 0; t < seq; t++) {
        for (let i = 0; i < half; i++) {
          const ang = t * ropeFreq(c, i);
          cos[t * hd + i] = Math.cos(ang);
          cos[t * hd + i + half] = Math.cos(ang);
          sin[t * hd + i] = Math.sin(ang);
          sin[t * hd + i + half] = Math.sin(ang);
        }
      }
      // rotate_half(x) = [-x2, x1] = x · R
      const rot = new Float32Array(hd * hd);
      for (let i = 0; i < half; i++) {
        rot[(i + half) * hd + i] = -1;
        rot[i * hd + i + half] = 1;
      }
      const mask = new Float32Array(seq * seq);
      for (let i = 0; i < seq; i++) for (let j = i + 1; j < seq; j++) mask[i * seq + j] = -1e9;
      k = {
        cos: np.array(cos).reshape([seq, 1, hd]),
        sin: np.array(sin).reshape([seq, 1, hd]),
        rot: np.array(rot).reshape([hd, hd]),
        mask: np.array(mask).reshape([seq, seq]),
      };
      this.#consts.set(String(seq), k);
    }
    return { cos: k.cos.ref, sin: k.sin.ref, rot: k.rot.ref, mask: k.mask.ref };
  }

  /**
   * Loss (mean over masked targets, or sum when `sum`) of the model. Consumes its tree arguments.
   * With probes, each adapted projection's output gets `+ probe` (zeros) so that d loss / d probe = δ.
   */
  #loss(
    t: Tree,
    lora: LoraTree | null,
    loraScale: number,
    probes: ProbeTree | null,
    inputs: Arr,
    targets: Arr,
    mask: Arr,
    B: number,
    T: number,
    sum: boolean,
    traces: { name: string; xa: Arr }[] | null,
  ): Arr {
    const np = this.#np();
    const nn = this.#jax.nn;
    const c = this.cfg;
    const H = c.nHeads;
    const hd = headDim(c);
    const N = B * T;
    const eps = c.normEps;
    const rms = (x: Arr, w: Arr): Arr => {
      const ms = np.mean(np.square(x.ref), -1, { keepdims: true });
      return x.mul(np.reciprocal(np.sqrt(ms.add(eps)))).mul(w);
    };
    const linear = (x: Arr, l: number, p: Projection, w: Arr): Arr => {
      const pair = lora?.layers[l]?.[p];
      const probe = probes?.layers[l]?.[p];
      let y: Arr;
      if (pair) {
        const xa = np.matmul(x.ref, pair.a);
        if (traces) traces.push({ name: projName(l, p), xa: xa.ref });
        y = np.matmul(x, w).add(np.matmul(xa, pair.b).mul(loraScale));
      } else y = np.matmul(x, w);
      if (probe) y = y.add(probe);
      return y;
    };
    const k = this.#constsFor(T);
    const rope = (x: Arr): Arr => {
      // x: [B, T, H, hd]
      const rotated = np.matmul(x.ref, k.rot.ref);
      return x.mul(k.cos.ref).add(rotated.mul(k.sin.ref));
    };
    let h = np.take(t.embed.ref, inputs, 0).reshape([N, c.dModel]);
    for (let l = 0; l < c.nLayers; l++) {
      const L = t.layers[l] as Layer;
      const x = rms(h.ref, L.ln1);
      const q = rope(linear(x.ref, l, 'q_proj', L.q_proj).reshape([B, T, H, hd]));
      const kk = rope(linear(x.ref, l, 'k_proj', L.k_proj).reshape([B, T, H, hd]));
      const v = linear(x, l, 'v_proj', L.v_proj).reshape([B, T, H, hd]);
      const qh = np.transpose(q, [0, 2, 1, 3]);
      const kt = np.transpose(kk, [0, 2, 3, 1]);
      const vh = np.transpose(v, [0, 2, 1, 3]);
      const scores = np
        .matmul(qh, kt)
        .mul(1 / Math.sqrt(hd))
        .add(k.mask.ref);
      const probs = nn.softmax(scores, -1);
      const att = np.transpose(np.matmul(probs, vh), [0, 2, 1, 3]).reshape([N, c.dModel]);
      h = h.add(linear(att, l, 'o_proj', L.o_proj));
      const x2 = rms(h.ref, L.ln2);
      const g = linear(x2.ref, l, 'gate_proj', L.gate_proj);
      const u = linear(x2, l, 'up_proj', L.up_proj);
      h = h.add(linear(nn.silu(g).mul(u), l, 'down_proj', L.down_proj));
    }
    const hn = rms(h, t.norm);
    const logits = t.head ? np.matmul(hn, t.head) : np.matmul(hn, np.transpose(t.embed));
    if (!t.head) {
      // embed was used twice (take + head); the tree's own reference was consumed by the transpose.
    }
    const logp = nn.logSoftmax(logits, -1);
    const picked = np.sum(logp.mul(nn.oneHot(targets, c.vocabSize)), -1);
    const nll = np.sum(picked.mul(mask)).mul(-1);
    k.cos.dispose();
    k.sin.dispose();
    k.rot.dispose();
    k.mask.dispose();
    void sum;
    return nll;
  }

  #batchArrays(b: Batch, scale: number): [Arr, Arr, Arr] {
    const np = this.#np();
    const m = new Float32Array(b.mask.length);
    for (let i = 0; i < m.length; i++) m[i] = (b.mask[i] as number) * scale;
    return [
      np.array(b.inputs, { dtype: np.int32 }).reshape([b.batch, b.seq]),
      np.array(b.targets, { dtype: np.int32 }).reshape([b.batch * b.seq]),
      np.array(m).reshape([b.batch * b.seq]),
    ];
  }

  /** Full-model loss and gradients (loss is the mean over masked targets, times `scale`). */
  async lossAndGrad(w: Weights, b: Batch, lossScale = 1): Promise<LossAndGrad> {
    const denom = maskSum(b);
    const [inp, tgt, msk] = this.#batchArrays(b, lossScale / denom);
    const f = (t: Tree, i: Arr, tg: Arr, m: Arr): Arr =>
      this.#loss(t, null, 0, null, i, tg, m, b.batch, b.seq, false, null);
    const [lossArr, gTree] = this.#jax.valueAndGrad(f)(this.#tree(w), inp, tgt, msk) as unknown as [
      Arr,
      Tree,
    ];
    const loss = ((await lossArr.data()) as Float32Array)[0] as number;
    return { loss: loss / lossScale, grads: await this.#treeToWeights(gTree) };
  }

  /** Loss only (mean over masked targets) with optional adapter. */
  async loss(w: Weights | null, ad: Adapter | null, b: Batch): Promise<{ loss: number; count: number }> {
    const denom = maskSum(b);
    const [inp, tgt, msk] = this.#batchArrays(b, 1);
    const t = w ? this.#tree(w) : this.#frozenRef();
    const lora = ad ? this.#loraTree(ad) : null;
    const scale = ad ? ad.config.alpha / ad.config.r : 0;
    const out = this.#loss(t, lora, scale, null, inp, tgt, msk, b.batch, b.seq, true, null);
    const total = ((await out.data()) as Float32Array)[0] as number;
    return { loss: denom > 0 ? total / denom : 0, count: denom };
  }

  /** Keep base weights on the device for LoRA training (uploaded once). */
  freezeBase(w: Weights): void {
    this.releaseBase();
    this.#frozen = this.#tree(w);
  }

  releaseBase(): void {
    if (this.#frozen) this.#jax.tree.dispose(this.#frozen as never);
    this.#frozen = null;
  }

  #frozenRef(): Tree {
    if (!this.#frozen) throw new Error('freezeBase() first');
    return this.#jax.tree.ref(this.#frozen as never) as unknown as Tree;
  }

  /** LoRA loss and gradients for the adapter only; the base stays frozen on the device. */
  async loraLossAndGrad(ad: Adapter, b: Batch, lossScale = 1): Promise<LoraLossAndGrad> {
    const denom = maskSum(b);
    const [inp, tgt, msk] = this.#batchArrays(b, lossScale / denom);
    const scale = ad.config.alpha / ad.config.r;
    const f = (lt: LoraTree, t: Tree, i: Arr, tg: Arr, m: Arr): Arr =>
      this.#loss(t, lt, scale, null, i, tg, m, b.batch, b.seq, false, null);
    const [lossArr, gTree] = this.#jax.valueAndGrad(f)(
      this.#loraTree(ad),
      this.#frozenRef(),
      inp,
      tgt,
      msk,
    ) as unknown as [Arr, LoraTree];
    const loss = ((await lossArr.data()) as Float32Array)[0] as number;
    const grads = new Map<string, LoraPair>();
    const c = this.cfg;
    const r = ad.config.r;
    for (let l = 0; l < c.nLayers; l++) {
      const layer = gTree.layers[l] as LoraLayer;
      for (const p of ad.config.targets) {
        const g = layer[p];
        if (!g) continue;
        const [out, inn] = projShape(c, p);
        const ga = (await g.a.data()) as Float32Array;
        const gb = (await g.b.data()) as Float32Array;
        grads.set(projName(l, p), { a: transpose2d(ga, inn, r), b: transpose2d(gb, r, out) });
      }
    }
    return { loss: loss / lossScale, grads };
  }

  /**
   * Per-example traces for gradient influence: for every adapted module, the output gradient δ
   * ([B·T, out], of the *summed* loss so rows stay independent) and the projected input x·Aᵀ ([B·T, r]).
   */
  async loraTraces(ad: Adapter, b: Batch): Promise<ModuleTraces> {
    const np = this.#np();
    const c = this.cfg;
    const scale = ad.config.alpha / ad.config.r;
    const [inp, tgt, msk] = this.#batchArrays(b, 1);
    const N = b.batch * b.seq;
    const probes: ProbeTree = { layers: [] };
    const names: { name: string; l: number; p: Projection; out: number }[] = [];
    for (let l = 0; l < c.nLayers; l++) {
      const layer: Partial<Record<Projection, Arr>> = {};
      for (const p of ad.config.targets) {
        if (!ad.pairs.has(projName(l, p))) continue;
        const out = projShape(c, p)[0];
        layer[p] = np.zeros([N, out]);
        names.push({ name: projName(l, p), l, p, out });
      }
      probes.layers.push(layer);
    }
    const lt = this.#loraTree(ad);
    const f = (pr: ProbeTree, t: Tree, i: Arr, tg: Arr, m: Arr): [Arr, Arr[]] => {
      const list: { name: string; xa: Arr }[] = [];
      const loss = this.#loss(t, lt, scale, pr, i, tg, m, b.batch, b.seq, true, list);
      return [loss, names.map((n) => (list.find((e) => e.name === n.name) as { xa: Arr }).xa)];
    };
    const [g, aux] = this.#jax.grad(f, { hasAux: true })(
      probes,
      this.#frozenRef(),
      inp,
      tgt,
      msk,
    ) as unknown as [ProbeTree, Arr[]];
    const res: ModuleTraces = [];
    for (const { name, l, p, out } of names) {
      const d = g.layers[l]?.[p] as Arr;
      const delta = ((await d.data()) as Float32Array).slice();
      const xa = ((await (aux[res.length] as Arr).data()) as Float32Array).slice();
      res.push({ name, delta, xa, out, r: ad.config.r });
    }
    return res;
  }
}

function maskSum(b: Batch): number {
  let s = 0;
  for (let i = 0; i < b.mask.length; i++) s += b.mask[i] as number;
  return s;
}

export function ropeFreq(c: ModelConfig, i: number): number {
  return 1 / c.ropeTheta ** ((2 * i) / headDim(c));
}

void SHORT;
