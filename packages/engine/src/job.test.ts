import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { saveDataset } from './dataset.js';
import { loadModelDir } from './io.js';
import { type JobEvent, runJob } from './job.js';
import { patternExamples, TINY } from './test-util.js';
import { DEFAULT_HYPER } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'engine-job-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a training job runs in a worker process that restarts from its checkpoint', async () => {
  const data = join(dir, 'data.safetensors');
  saveDataset(data, { train: patternExamples(16, 17, 1), heldOut: patternExamples(4, 17, 2) });
  const events: JobEvent[] = [];
  const job = {
    kind: 'base' as const,
    outDir: join(dir, 'out'),
    datasetPath: data,
    tokenizerHash: 'cd'.repeat(32),
    hyper: { ...DEFAULT_HYPER, steps: 4, batchSize: 4, seqLen: 17, evalEvery: 2, evalExamples: 4 },
    config: TINY,
    initSeed: 1,
    restartEvery: 2,
  };
  await runJob(job, (e) => events.push(e));
  const steps = events.filter((e) => e.type === 'progress').map((e) => (e as { step: number }).step);
  assert.deepEqual(steps, [1, 2, 3, 4]);
  assert.equal(events.filter((e) => e.type === 'restart').length, 1);
  const progress = events.find((e) => e.type === 'progress' && e.step === 2) as {
    evalLoss?: number;
    tokensPerSec: number;
    etaSec: number;
  };
  assert.ok(progress.evalLoss !== undefined && progress.tokensPerSec > 0 && progress.etaSec >= 0);
  assert.equal(events[events.length - 1]?.type, 'done');
  const m = loadModelDir(job.outDir, { tokenizer: { hash: 'cd'.repeat(32) } });
  assert.equal(m.meta.steps, 4);
  assert.ok(existsSync(join(job.outDir, 'train-log.jsonl')));
  // Running the finished job again resumes at its last step and ends at once.
  const again: JobEvent[] = [];
  await runJob(job, (e) => again.push(e));
  assert.deepEqual(
    again.map((e) => e.type),
    ['done'],
  );
  await assert.rejects(
    runJob({ ...job, outDir: join(dir, 'bad'), datasetPath: join(dir, 'missing.safetensors') }),
    {
      code: 'MISSING_FILE',
      message: /missing.safetensors does not exist/,
    },
  );
});
