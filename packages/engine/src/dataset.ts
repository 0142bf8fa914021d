// Token datasets: examples are token sequences with an optional per-target loss mask. Stored as a
// safetensors file (ids as exact float32 integers) so a training worker can reload them quickly.
import { existsSync, readFileSync } from 'node:fs';
import { EngineError } from './errors.js';
import { writeAtomic } from './io.js';
import type { Batch } from './jax-model.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

/** A sequence; the model learns to predict ids[j] from ids[..j-1], weighted by mask[j] (default 1; mask[0] unused). */
export type Example = { ids: Int32Array; mask?: Float32Array };
export type Dataset = { train: Example[]; heldOut: Example[] };

function pack(xs: Example[]): { ids: Float32Array; offsets: Float32Array; mask: Float32Array } {
  const total = xs.reduce((s, e) => s + e.ids.length, 0);
  const ids = new Float32Array(total);
  const mask = new Float32Array(total);
  const offsets = new Float32Array(xs.length + 1);
  let p = 0;
  xs.forEach((e, i) => {
    ids.set(e.ids, p);
    if (e.mask) mask.set(e.mask, p);
    else mask.fill(1, p, p + e.ids.length);
    p += e.ids.length;
    offsets[i + 1] = p;
  });
  return { ids, offsets, mask };
}

export function saveDataset(path: string, d: Dataset, meta: Record<string, string> = {}): void {
  const t = pack(d.train);
  const h = pack(d.heldOut);
  const m = new Map([
    ['train_ids', { shape: [t.ids.length], data: t.ids }],
    ['train_offsets', { shape: [t.offsets.length], data: t.offsets }],
    ['train_mask', { shape: [t.mask.length], data: t.mask }],
    ['held_ids', { shape: [h.ids.length], data: h.ids }],
    ['held_offsets', { shape: [h.offsets.length], data: h.offsets }],
    ['held_mask', { shape: [h.mask.length], data: h.mask }],
  ]);
  writeAtomic(path, writeSafetensors(m, meta));
}

export function loadDataset(path: string): Dataset & { meta: Record<string, string> } {
  if (!existsSync(path)) throw new EngineError('MISSING_FILE', `dataset ${path} does not exist`);
  const st = readSafetensors(readFileSync(path));
  const get = (n: string): Float32Array => {
    const t = st.tensors.get(n);
    if (!t) throw new EngineError('BAD_DATASET', `${path}: missing ${n}`);
    return t.data;
  };
  const unpack = (p: string): Example[] => {
    const ids = get(`${p}_ids`);
    const off = get(`${p}_offsets`);
    const mask = get(`${p}_mask`);
    const out: Example[] = [];
    for (let i = 0; i + 1 < off.length; i++) {
      const a = off[i] as number;
      const b = off[i + 1] as number;
      out.push({ ids: Int32Array.from(ids.subarray(a, b)), mask: mask.slice(a, b) });
    }
    return out;
  };
  return { train: unpack('train'), heldOut: unpack('held'), meta: st.metadata };
}

/**
 * Pack a token stream into windows of `seq + 1` tokens (adjacent windows share one token), the
 * standard language-model pre-training layout.
 */
export function packStream(stream: ArrayLike<number>, seq: number): Example[] {
  const out: Example[] = [];
  for (let s = 0; s + seq + 1 <= stream.length; s += seq)
    out.push({ ids: Int32Array.from({ length: seq + 1 }, (_, i) => stream[s + i] as number) });
  return out;
}

/** Build a padded batch from examples (inputs = ids[:-1], targets = ids[1:]); pads to a multiple of 16. */
export function makeBatch(xs: Example[], maxSeq: number, padId: number): Batch {
  if (xs.length === 0) throw new EngineError('EMPTY_DATASET', 'cannot build a batch from no examples');
  let longest = 0;
  for (const e of xs) longest = Math.max(longest, e.ids.length - 1);
  if (longest < 1) throw new EngineError('EMPTY_DATASET', 'examples need at least 2 tokens');
  const seq = Math.min(maxSeq, Math.ceil(longest / 16) * 16);
  const B = xs.length;
  const inputs = new Int32Array(B * seq).fill(padId);
  const targets = new Int32Array(B * seq).fill(padId);
  const mask = new Float32Array(B * seq);
  xs.forEach((e, b) => {
    const n = Math.min(seq, e.ids.length - 1);
    for (let i = 0; i < n; i++) {
      inputs[b * seq + i] = e.ids[i] as number;
      targets[b * seq + i] = e.ids[i + 1] as number;
      mask[b * seq + i] = e.mask ? (e.mask[i + 1] as number) : 1;
    }
  });
  return { batch: B, seq, inputs, targets, mask };
}
