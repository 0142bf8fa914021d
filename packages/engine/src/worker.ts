// Child-process entry of a training job (see job.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from './dataset.js';
import { EngineError } from './errors.js';
import { buildInfluenceStore, saveInfluence } from './influence.js';
import { loadModelDir, saveAdapter, saveModel } from './io.js';
import { JaxModel } from './jax-model.js';
import { hyperAt, nextPhase, readJob, type TrainJob, type WorkerMessage } from './job.js';
import { initWeights } from './params.js';
import { Trainer } from './train.js';

const send = (m: WorkerMessage): void => {
  process.send?.(m);
};

/** Send a last message and exit once it is flushed (process.exit would drop queued IPC). */
function finish(m: WorkerMessage | null, code: number): void {
  if (m && process.send) process.send(m, () => process.exit(code));
  else process.exit(code);
}

async function main(job: TrainJob): Promise<WorkerMessage> {
  const data = loadDataset(job.datasetPath);
  const ckpt = join(job.outDir, 'checkpoint');
  const statePath = join(ckpt, 'state.json');
  const startStep = existsSync(statePath)
    ? (JSON.parse(readFileSync(statePath, 'utf8')) as { step: number }).step
    : 0;
  const hyper = hyperAt(job, startStep);
  let trainer: Trainer;
  if (job.kind === 'base') {
    if (!job.config) throw new EngineError('BAD_CONFIG', 'base job needs a model config');
    const model = await JaxModel.create(job.config);
    trainer = new Trainer(
      model,
      {
        mode: 'full',
        config: job.config,
        weights: job.initFrom
          ? loadModelDir(job.initFrom, { tokenizer: { hash: job.tokenizerHash } }).weights
          : initWeights(job.config, job.initSeed),
      },
      data,
      hyper,
    );
  } else {
    if (!job.baseDir || !job.lora) throw new EngineError('BAD_CONFIG', 'lora job needs baseDir and lora');
    const base = loadModelDir(job.baseDir, { tokenizer: { hash: job.tokenizerHash } });
    const model = await JaxModel.create(base.config);
    trainer = Trainer.newLora(model, base.config, base.weights, job.lora, data, hyper);
  }
  if (existsSync(ckpt)) trainer.loadCheckpoint(ckpt);
  const until = Math.min(hyper.steps, trainer.step + job.restartEvery, nextPhase(job, trainer.step));
  await trainer.run(until, (e) => {
    send(e);
    send({ type: 'rss', step: e.step, rssMiB: process.memoryUsage().rss / 2 ** 20, pid: process.pid });
  });
  trainer.saveCheckpoint(ckpt);
  if (trainer.step < hyper.steps) {
    return { type: 'paused', step: trainer.step };
  }
  const ev = data.heldOut.length > 0 ? await trainer.evaluate(data.heldOut) : null;
  const meta = {
    ...(job.meta ?? {}),
    steps: trainer.step,
    heldOutLoss: ev?.loss ?? null,
    heldOutPpl: ev?.ppl ?? null,
  };
  if (job.kind === 'base')
    saveModel(job.outDir, trainer.config, trainer.weights as never, job.tokenizerHash, meta);
  else {
    saveAdapter(job.outDir, trainer.config, trainer.adapter as never, {
      ...meta,
      tokenizerHash: job.tokenizerHash,
    });
    if (job.influence) {
      const inf = job.influence;
      const ex = loadDataset(inf.datasetPath).train;
      const jm = await JaxModel.create(trainer.config);
      jm.freezeBase(trainer.weights as never);
      const t0 = performance.now();
      const store = await buildInfluenceStore(jm, trainer.adapter as never, ex, inf.rows, inf.params, {
        maxSeq: job.hyper.seqLen - 1,
        padId: job.hyper.padId,
        onBatch: (done) => send({ type: 'influence', done, total: ex.length }),
      });
      saveInfluence(job.outDir, store);
      jm.releaseBase();
      const cfgPath = join(job.outDir, 'influence.json');
      const j = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
      writeFileSync(cfgPath, `${JSON.stringify({ ...j, buildSeconds: (performance.now() - t0) / 1000 })}\n`);
    }
  }
  return { type: 'done', step: trainer.step, ...(ev ? { evalLoss: ev.loss } : {}) };
}

const path = process.argv[2];
if (!path) {
  console.error('usage: worker.js <job.json>');
  process.exit(2);
}
main(readJob(path)).then(
  (m) => finish(m, 0),
  (e: unknown) => {
    const err = e as { code?: string; message?: string };
    finish({ type: 'error', code: err.code ?? 'TRAIN_FAILED', message: err.message ?? String(e) }, 1);
  },
);
