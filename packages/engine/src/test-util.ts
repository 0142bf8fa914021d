// Helpers shared by the engine's tests (tiny configurations).
import type { ModelConfig } from './config.js';
import type { Example } from './dataset.js';
import { Rng } from './rng.js';

export const TINY: ModelConfig = {
  vocabSize: 32,
  dModel: 16,
  nLayers: 2,
  nHeads: 2,
  dFF: 24,
  contextLength: 24,
  ropeTheta: 10000,
  normEps: 1e-5,
  tieEmbeddings: true,
};

/** Sequences following a simple rule (next = prev + step mod V, step in {1,2}) for learnable tests. */
export function patternExamples(n: number, len: number, seed: number, vocab = TINY.vocabSize): Example[] {
  const rng = new Rng(seed);
  const out: Example[] = [];
  for (let i = 0; i < n; i++) {
    const ids = new Int32Array(len);
    const step = 1 + rng.int(2);
    ids[0] = rng.int(vocab);
    for (let j = 1; j < len; j++) ids[j] = ((ids[j - 1] as number) + step) % vocab;
    out.push({ ids });
  }
  return out;
}

export function randomIds(n: number, seed: number, vocab = TINY.vocabSize): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(vocab));
}
