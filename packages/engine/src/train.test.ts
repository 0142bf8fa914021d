import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JaxModel } from './jax-model.js';
import { hyperAt, nextPhase } from './job.js';
import { initWeights } from './params.js';
import { patternExamples, TINY } from './test-util.js';
import { batchIndices, DEFAULT_HYPER, lrAt, Trainer, type TrainHyper } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'engine-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const H: TrainHyper = {
  ...DEFAULT_HYPER,
  steps: 6,
  batchSize: 4,
  accum: 2,
  seqLen: 17,
  lr: 5e-3,
  warmup: 2,
  evalEvery: 0,
  evalExamples: 8,
};
const data = { train: patternExamples(40, 17, 1), heldOut: patternExamples(8, 17, 2) };

test('schedule: warm-up then cosine to lr·minLrRatio; data order is a function of the step', () => {
  assert.equal(lrAt(H, 0), H.lr / 2);
  assert.equal(lrAt(H, 1), H.lr);
  assert.ok(Math.abs(lrAt(H, H.steps) - H.lr * H.minLrRatio) < 1e-12);
  assert.ok(lrAt(H, 3) < lrAt(H, 2));
  assert.deepEqual(batchIndices(40, H, 3, 1), batchIndices(40, H, 3, 1));
  const epoch = new Set<number>();
  for (let s = 0; s < 5; s++)
    for (let m = 0; m < 2; m++) for (const i of batchIndices(40, H, s, m)) epoch.add(i);
  assert.equal(epoch.size, 40, 'one epoch visits every example once');
});

test('resume from a checkpoint gives weights identical to an uninterrupted run', async () => {
  const m = await JaxModel.create(TINY);
  const straight = new Trainer(m, { mode: 'full', config: TINY, weights: initWeights(TINY, 7) }, data, H);
  await straight.run(H.steps);
  const first = new Trainer(m, { mode: 'full', config: TINY, weights: initWeights(TINY, 7) }, data, H);
  await first.run(3);
  first.saveCheckpoint(join(dir, 'ck'));
  const resumed = new Trainer(m, { mode: 'full', config: TINY, weights: initWeights(TINY, 99) }, data, H);
  assert.equal(resumed.loadCheckpoint(join(dir, 'ck')), true);
  assert.equal(resumed.step, 3);
  await resumed.run(H.steps);
  assert.equal(resumed.step, H.steps);
  for (const [k, v] of straight.weights ?? []) assert.deepEqual(resumed.weights?.get(k), v, k);
  assert.ok(straight.log.every((e) => Number.isFinite(e.loss) && e.gradNorm > 0));
});

test('a LoRA fine-tune lowers held-out loss and changes only the adapter', async () => {
  const m = await JaxModel.create(TINY);
  const base = initWeights(TINY, 11);
  for (const [k, v] of base)
    if (!k.includes('norm')) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * 10;
  const snapshot = new Map([...base].map(([k, v]) => [k, v.slice()]));
  const h: TrainHyper = { ...H, steps: 40, accum: 1, batchSize: 8, lr: 3e-2, warmup: 4 };
  const t = Trainer.newLora(
    m,
    TINY,
    base,
    { r: 4, alpha: 8, targets: ['q_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
    data,
    h,
  );
  const before = await t.evaluate();
  const events: number[] = [];
  await t.run(h.steps, (e) => events.push(e.step));
  const afterEval = await t.evaluate();
  assert.deepEqual(
    events,
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  assert.ok(afterEval.loss < before.loss - 0.3, `held-out loss ${before.loss} → ${afterEval.loss}`);
  for (const [k, v] of base) assert.deepEqual(v, snapshot.get(k), `${k} untouched`);
  m.releaseBase();
});

test('job phases override hyper-parameters from their first step on', () => {
  const job = {
    kind: 'base' as const,
    outDir: '',
    datasetPath: '',
    tokenizerHash: '',
    hyper: H,
    initSeed: 1,
    restartEvery: 100,
    phases: [
      { fromStep: 3, hyper: { batchSize: 2 } },
      { fromStep: 5, hyper: { lr: 1 } },
    ],
  };
  assert.equal(hyperAt(job, 2).batchSize, H.batchSize);
  assert.equal(hyperAt(job, 3).batchSize, 2);
  assert.deepEqual([hyperAt(job, 5).batchSize, hyperAt(job, 5).lr], [2, 1]);
  assert.deepEqual(
    [nextPhase(job, 0), nextPhase(job, 3), nextPhase(job, 5)],
    [3, 5, Number.POSITIVE_INFINITY],
  );
});

test('bad training input gives clear errors', async () => {
  const m = await JaxModel.create(TINY);
  assert.throws(
    () =>
      new Trainer(
        m,
        { mode: 'full', config: TINY, weights: initWeights(TINY, 1) },
        { train: [], heldOut: [] },
        H,
      ),
    {
      code: 'EMPTY_DATASET',
      message: /training set is empty/,
    },
  );
  assert.throws(
    () =>
      new Trainer(m, { mode: 'full', config: TINY, weights: initWeights(TINY, 1) }, data, {
        ...H,
        seqLen: TINY.contextLength + 2,
      }),
    { code: 'BAD_CONFIG' },
  );
});
