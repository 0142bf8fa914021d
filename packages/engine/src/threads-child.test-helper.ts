// Child process of stage2.test.ts: one loss-and-gradient on a small llama with the kernel threads
// given by OPENLEDGER_JAX_THREADS; prints the loss and a per-tensor summary of the gradients.
import { jaxThreads } from './jax-env.js';
import { JaxModel } from './jax-model.js';
import { initWeights } from './params.js';
import { randomIds } from './test-util.js';

const cfg = {
  vocabSize: 96,
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  dFF: 96,
  contextLength: 32,
  ropeTheta: 10000,
  normEps: 1e-5,
  tieEmbeddings: true,
};
const B = 4;
const T = 32;
const jm = await JaxModel.create(cfg);
const r = await jm.lossAndGrad(initWeights(cfg, 3), {
  batch: B,
  seq: T,
  inputs: randomIds(B * T, 1, cfg.vocabSize),
  targets: randomIds(B * T, 2, cfg.vocabSize),
  mask: new Float32Array(B * T).fill(1),
});
const grads: number[] = [];
for (const [, g] of [...r.grads].sort(([a], [b]) => (a < b ? -1 : 1))) {
  let s = 0;
  let q = 0;
  for (const v of g) {
    s += v;
    q += v * v;
  }
  grads.push(s, q);
}
process.stdout.write(JSON.stringify({ threads: jaxThreads(), loss: r.loss, grads }));
process.exit(0);
