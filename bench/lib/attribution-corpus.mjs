// Shared by the attribution benchmarks: a seeded trigram model over the shipped text (data/), in token-id
// space, to draw synthetic corpora larger than the real text here; seeded random ids if data/ is missing.
import { existsSync, readFileSync } from 'node:fs';

export function rng(seed) {
  let s = seed >>> 0 || 1;
  return (m) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % m;
  };
}

export function loadTrainingIds(tokenizer, bytes = 1_500_000) {
  const path = new URL('../../data/base/gcide.txt', import.meta.url);
  if (!existsSync(path)) return null;
  return tokenizer.encode(readFileSync(path, 'utf8').slice(0, bytes));
}

/** A trigram model: context (a, b) → every follower seen (sampling one is frequency-weighted). */
export class TrigramModel {
  constructor(ids, vocab) {
    this.vocab = vocab;
    this.ids = ids;
    const buckets = new Map();
    for (let i = 2; i < ids.length; i++) {
      const key = ids[i - 2] * vocab + ids[i - 1];
      let b = buckets.get(key);
      if (b === undefined) {
        b = [];
        buckets.set(key, b);
      }
      b.push(ids[i]);
    }
    this.next = new Map();
    for (const [k, v] of buckets) this.next.set(k, Uint16Array.from(v));
  }
  /** Writes `length` tokens into out[at..]. */
  generate(r, out, at, length) {
    let p = r(this.ids.length - 2);
    let a = this.ids[p];
    let b = this.ids[p + 1];
    for (let k = 0; k < length; k++) {
      const f = this.next.get(a * this.vocab + b);
      let c;
      if (f === undefined || r(50) === 0) {
        p = r(this.ids.length);
        c = this.ids[p];
      } else c = f[r(f.length)];
      out[at + k] = c;
      a = b;
      b = c;
    }
  }
}

/** Random ids (when data/ is not there). */
export class RandomModel {
  constructor(vocab) {
    this.vocab = vocab;
  }
  generate(r, out, at, length) {
    for (let k = 0; k < length; k++) out[at + k] = r(this.vocab);
  }
}

/** Draws a corpus of about `tokens` tokens as rows of 30..150 tokens: { tokens: Uint16Array, rowLengths }. */
export function drawCorpus(model, seed, tokens) {
  const r = rng(seed);
  const out = new Uint16Array(tokens);
  const lengths = [];
  let at = 0;
  while (at < tokens) {
    const len = Math.min(tokens - at, 30 + r(121));
    model.generate(r, out, at, len);
    lengths.push(len);
    at += len;
  }
  return { tokens: out, rowLengths: Uint32Array.from(lengths) };
}
