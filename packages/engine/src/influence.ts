// Gradient influence (DESIGN §4.7, off consensus): LoGra-style projected per-row LoRA gradients.
// For each adapted module the per-example gradient of B is Σ_t δ_t ⊗ (A x_t); we project the output
// gradients δ_t (out → kOut, a fixed seeded ±1 matrix) and use the LoRA down-projection A x_t (r) as
// the input projection, giving a kOut × r block per module without ever forming a full gradient.
// The concatenated blocks are projected once more (seeded Gaussian) to `dims` values, stored as int8
// with one float32 scale per row (dims + 4 bytes ≤ 256). A query is one output gradient in the same
// space; a row's influence is the dot product; contributors get the sum of their positive scores.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig } from './config.js';
import { type Example, makeBatch } from './dataset.js';
import { EngineError } from './errors.js';
import { matmulT } from './forward.js';
import { writeAtomic } from './io.js';
import { JaxModel, type ModuleTraces } from './jax-model.js';
import type { Adapter, Weights } from './params.js';
import { Rng } from './rng.js';
import { WasmMatmul } from './wasm-matmul.js';

export type InfluenceParams = { kOut: number; dims: number; seed: number };
export const DEFAULT_INFLUENCE: InfluenceParams = { kOut: 8, dims: 240, seed: 1234 };

export type InfluenceRow = { rowIndex: number; contributor: string };
export type InfluenceStore = {
  params: InfluenceParams;
  modules: string[];
  rows: InfluenceRow[];
  /** rows × dims int8 codes */
  codes: Int8Array;
  /** per-row dequantisation scale */
  scales: Float32Array;
};

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** Seeded ±1/√kOut matrix [kOut, out] projecting a module's output gradients. */
function outProjection(seed: number, name: string, kOut: number, out: number): Float32Array {
  const rng = new Rng((seed ^ hashString(name)) >>> 0);
  const P = new Float32Array(kOut * out);
  const s = 1 / Math.sqrt(kOut);
  for (let i = 0; i < P.length; i++) P[i] = rng.uniform() < 0.5 ? -s : s;
  return P;
}

/** Seeded Gaussian matrix [dims, inDims] (scaled 1/√dims): the final Johnson–Lindenstrauss projection. */
function finalProjection(seed: number, dims: number, inDims: number): Float32Array {
  const rng = new Rng(seed + 1);
  const F = new Float32Array(dims * inDims);
  const s = 1 / Math.sqrt(dims);
  for (let i = 0; i < F.length; i++) F[i] = rng.normal() * s;
  return F;
}

/** For tests: the fixed projections. */
export const __testing = { outProj: outProjection, final: finalProjection };

/** Fixed projections for a module list (deterministic from the seed and the module names). */
class Projector {
  readonly outProj = new Map<string, Float32Array>();
  readonly final: Float32Array;
  readonly inDims: number;
  readonly #wasm = WasmMatmul.create();
  constructor(
    readonly p: InfluenceParams,
    readonly modules: { name: string; out: number; r: number }[],
  ) {
    for (const m of modules) {
      const P = outProjection(p.seed, m.name, p.kOut, m.out);
      this.outProj.set(m.name, P);
      this.#wasm?.add(P);
    }
    this.inDims = modules.reduce((a, m) => a + p.kOut * m.r, 0);
    this.final = finalProjection(p.seed, p.dims, this.inDims);
  }

  /** Per-example projected gradients [B, dims] from module traces of a batch of B×T positions. */
  project(traces: ModuleTraces, B: number, T: number): Float32Array[] {
    const { kOut, dims } = this.p;
    const out: Float32Array[] = [];
    for (let b = 0; b < B; b++) {
      const g = new Float32Array(this.inDims);
      let off = 0;
      for (const tr of traces) {
        const P = this.outProj.get(tr.name) as Float32Array;
        // P·δₜ for every position of this example at once: [T, out] · Pᵀ → [T, kOut]
        const delta = tr.delta.subarray(b * T * tr.out, (b + 1) * T * tr.out);
        const pdAll = this.#wasm?.matmulT(delta, T, tr.out, P, kOut) ?? matmulT(delta, T, tr.out, P, kOut);
        for (let t = 0; t < T; t++) {
          const row = b * T + t;
          let any = false;
          for (let k = 0; k < kOut; k++) if (pdAll[t * kOut + k] !== 0) any = true;
          if (!any) continue;
          const xo = row * tr.r;
          for (let k = 0; k < kOut; k++) {
            const pk = pdAll[t * kOut + k] as number;
            for (let j = 0; j < tr.r; j++)
              g[off + k * tr.r + j] = (g[off + k * tr.r + j] as number) + pk * (tr.xa[xo + j] as number);
          }
        }
        off += kOut * tr.r;
      }
      const z = new Float32Array(dims);
      for (let i = 0; i < dims; i++) {
        let s = 0;
        const fo = i * this.inDims;
        for (let j = 0; j < this.inDims; j++) s += (this.final[fo + j] as number) * (g[j] as number);
        z[i] = s;
      }
      out.push(z);
    }
    return out;
  }
}

function moduleList(jmTraces: ModuleTraces): { name: string; out: number; r: number }[] {
  return jmTraces.map((t) => ({ name: t.name, out: t.out, r: t.r }));
}

/** Projected gradients of the (summed, masked) loss of each example. The base must be frozen in `jm`. */
export async function projectedGradients(
  jm: JaxModel,
  adapter: Adapter,
  examples: Example[],
  p: InfluenceParams,
  opts: { batchSize?: number; maxSeq?: number; padId?: number; onBatch?: (done: number) => void } = {},
): Promise<{ grads: Float32Array[]; modules: string[] }> {
  const bs = opts.batchSize ?? 8;
  const grads: Float32Array[] = [];
  let proj: Projector | null = null;
  for (let i = 0; i < examples.length; i += bs) {
    const b = makeBatch(examples.slice(i, i + bs), opts.maxSeq ?? jm.cfg.contextLength, opts.padId ?? 0);
    const tr = await jm.loraTraces(adapter, b);
    proj ??= new Projector(p, moduleList(tr));
    grads.push(...proj.project(tr, b.batch, b.seq));
    opts.onBatch?.(Math.min(examples.length, i + bs));
  }
  return { grads, modules: proj ? proj.modules.map((m) => m.name) : [] };
}

export function quantize(grads: Float32Array[], dims: number): { codes: Int8Array; scales: Float32Array } {
  const codes = new Int8Array(grads.length * dims);
  const scales = new Float32Array(grads.length);
  grads.forEach((g, i) => {
    let mx = 0;
    for (const v of g) mx = Math.max(mx, Math.abs(v));
    const s = mx > 0 ? mx / 127 : 1;
    scales[i] = s;
    for (let j = 0; j < dims; j++) codes[i * dims + j] = Math.round((g[j] as number) / s);
  });
  return { codes, scales };
}

export async function buildInfluenceStore(
  jm: JaxModel,
  adapter: Adapter,
  examples: Example[],
  rows: InfluenceRow[],
  p: InfluenceParams = DEFAULT_INFLUENCE,
  opts: { maxSeq?: number; padId?: number; onBatch?: (done: number) => void } = {},
): Promise<InfluenceStore> {
  if (examples.length !== rows.length) throw new EngineError('BAD_ARGS', 'influence: one example per row');
  if (p.dims + 4 > 256)
    throw new EngineError(
      'BAD_CONFIG',
      `influence: ${p.dims} int8 values + a 4-byte scale exceed 256 bytes per row`,
    );
  const { grads, modules } = await projectedGradients(jm, adapter, examples, p, opts);
  const { codes, scales } = quantize(grads, p.dims);
  return { params: p, modules, rows, codes, scales };
}

/** Influence of every stored row on a query gradient (dot product with the dequantised row). */
export function influenceScores(store: InfluenceStore, q: Float32Array, normalize = false): Float64Array {
  const d = store.params.dims;
  const out = new Float64Array(store.rows.length);
  let qn = 0;
  for (const v of q) qn += v * v;
  qn = Math.sqrt(qn) || 1;
  for (let i = 0; i < store.rows.length; i++) {
    let s = 0;
    let n = 0;
    for (let j = 0; j < d; j++) {
      const c = store.codes[i * d + j] as number;
      s += c * (q[j] as number);
      n += c * c;
    }
    out[i] = normalize ? s / ((Math.sqrt(n) || 1) * qn) : s * (store.scales[i] as number);
  }
  return out;
}

/** Positive influence summed per contributor, with shares (highest first, ties by name). */
export function contributorInfluence(
  store: InfluenceStore,
  scores: Float64Array,
): { contributor: string; score: number; share: number }[] {
  const m = new Map<string, number>();
  store.rows.forEach((r, i) => {
    const s = scores[i] as number;
    if (s > 0) m.set(r.contributor, (m.get(r.contributor) ?? 0) + s);
  });
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  return [...m]
    .map(([contributor, score]) => ({ contributor, score, share: total > 0 ? score / total : 0 }))
    .sort((a, b) => b.score - a.score || (a.contributor < b.contributor ? -1 : 1));
}

/** `influence.bin` = per row [float32 scale LE][dims × int8]; `influence.json` = params, modules, rows. */
export function saveInfluence(dir: string, s: InfluenceStore): void {
  const d = s.params.dims;
  const rec = 4 + d;
  const buf = new Uint8Array(s.rows.length * rec);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < s.rows.length; i++) {
    dv.setFloat32(i * rec, s.scales[i] as number, true);
    buf.set(new Uint8Array(s.codes.buffer, s.codes.byteOffset + i * d, d), i * rec + 4);
  }
  writeAtomic(join(dir, 'influence.bin'), buf);
  writeAtomic(
    join(dir, 'influence.json'),
    `${JSON.stringify({ format: 'openledger-influence-1', bytesPerRow: rec, params: s.params, modules: s.modules, rows: s.rows })}\n`,
  );
}

export function loadInfluence(dir: string): InfluenceStore {
  const jp = join(dir, 'influence.json');
  const bp = join(dir, 'influence.bin');
  if (!existsSync(jp) || !existsSync(bp))
    throw new EngineError('MISSING_FILE', `${dir} has no influence store (influence.json + influence.bin)`);
  const j = JSON.parse(readFileSync(jp, 'utf8')) as {
    params: InfluenceParams;
    modules: string[];
    rows: InfluenceRow[];
    bytesPerRow: number;
  };
  const buf = readFileSync(bp);
  const d = j.params.dims;
  const rec = 4 + d;
  if (buf.length !== j.rows.length * rec)
    throw new EngineError(
      'BAD_INFLUENCE',
      `${bp} has ${buf.length} bytes, expected ${j.rows.length} rows × ${rec}`,
    );
  const codes = new Int8Array(j.rows.length * d);
  const scales = new Float32Array(j.rows.length);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < j.rows.length; i++) {
    scales[i] = dv.getFloat32(i * rec, true);
    codes.set(new Int8Array(buf.buffer, buf.byteOffset + i * rec + 4, d), i * d);
  }
  return { params: j.params, modules: j.modules, rows: j.rows, codes, scales };
}

/**
 * Influence of the stored rows on one output: the projected gradient of the output tokens' loss
 * (given the prompt) against every row, aggregated per contributor (positive part).
 */
export async function queryInfluence(
  jm: JaxModel,
  adapter: Adapter,
  store: InfluenceStore,
  promptIds: number[],
  outputIds: number[],
  opts: { normalize?: boolean; padId?: number } = {},
): Promise<{ scores: Float64Array; contributors: { contributor: string; score: number; share: number }[] }> {
  if (outputIds.length === 0)
    throw new EngineError('EMPTY_INPUT', 'influence query: the output has no tokens');
  const ids = Int32Array.from([...promptIds, ...outputIds]);
  const mask = new Float32Array(ids.length);
  mask.fill(1, promptIds.length);
  const { grads } = await projectedGradients(jm, adapter, [{ ids, mask }], store.params, {
    batchSize: 1,
    maxSeq: jm.cfg.contextLength,
    padId: opts.padId ?? 0,
  });
  const scores = influenceScores(store, grads[0] as Float32Array, opts.normalize ?? false);
  return { scores, contributors: contributorInfluence(store, scores) };
}

/** A loaded influence store with its model, ready for queries (what a server keeps per adapter). */
export class InfluenceIndex {
  private constructor(
    readonly store: InfluenceStore,
    readonly adapter: Adapter,
    readonly jm: JaxModel,
  ) {}

  /** `base` is the base model (unmerged) and `adapter` the adapter the store was built with. */
  static async load(
    dir: string,
    base: { config: ModelConfig; weights: Weights },
    adapter: Adapter,
  ): Promise<InfluenceIndex> {
    const store = loadInfluence(dir);
    const jm = await JaxModel.create(base.config);
    jm.freezeBase(base.weights);
    return new InfluenceIndex(store, adapter, jm);
  }

  query(
    promptIds: number[],
    outputIds: number[],
    opts: { normalize?: boolean; padId?: number } = {},
  ): ReturnType<typeof queryInfluence> {
    return queryInfluence(this.jm, this.adapter, this.store, promptIds, outputIds, opts);
  }

  close(): void {
    this.jm.releaseBase();
  }
}
