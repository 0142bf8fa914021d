// Kernel threads, the continued base stage's repeat windows and the copy probe.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COPY_GAP, COPY_PASSAGE, copyWindows, repeatWindows } from './base-train.js';
import { copyProbe } from './evaluate.js';
import { Forward } from './forward.js';
import { jaxThreads } from './jax-env.js';
import { Model } from './model.js';
import { initWeights } from './params.js';
import { Rng } from './rng.js';
import { randomIds, TINY } from './test-util.js';

const child = fileURLToPath(new URL('./threads-child.test-helper.js', import.meta.url));

function runChild(threads: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [child], {
    env: { ...process.env, OPENLEDGER_JAX_THREADS: threads },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('two kernel threads give the same loss and gradients as one', () => {
  const one = runChild('1');
  const two = runChild('2');
  assert.equal(one.status, 0, one.stderr);
  assert.equal(two.status, 0, two.stderr);
  const a = JSON.parse(one.stdout) as { threads: number; loss: number; grads: number[] };
  const b = JSON.parse(two.stdout) as { threads: number; loss: number; grads: number[] };
  assert.deepEqual([a.threads, b.threads], [1, 2]);
  assert.ok(Number.isFinite(a.loss) && a.grads.length > 10);
  assert.equal(b.loss, a.loss);
  assert.deepEqual(b.grads, a.grads);
});

test('a bad OPENLEDGER_JAX_THREADS is refused with a clear error', () => {
  const old = process.env.OPENLEDGER_JAX_THREADS;
  try {
    for (const bad of ['0', 'two', '1.5', '100']) {
      process.env.OPENLEDGER_JAX_THREADS = bad;
      assert.throws(() => jaxThreads(), /OPENLEDGER_JAX_THREADS must be an integer from 1 to 64/);
    }
    process.env.OPENLEDGER_JAX_THREADS = '2';
    assert.equal(jaxThreads(), 2);
    delete process.env.OPENLEDGER_JAX_THREADS;
    assert.equal(jaxThreads(), 1);
  } finally {
    if (old === undefined) delete process.env.OPENLEDGER_JAX_THREADS;
    else process.env.OPENLEDGER_JAX_THREADS = old;
  }
});

test('repeat windows: a passage, the same passage again, then the text that followed it', () => {
  const stream = Int32Array.from({ length: 5000 }, (_, i) => i);
  const ws = repeatWindows(stream, 20, 257, 3);
  assert.equal(ws.length, 20);
  for (const w of ws) {
    assert.equal(w.ids.length, 257);
    const at = w.ids[0] as number;
    // the first reading is consecutive; the second starts over at `at`
    let len = 1;
    while ((w.ids[len] as number) === at + len) len++;
    assert.ok(len >= 64 && len <= 128, `passage length ${len}`);
    for (let i = len; i < 257; i++) assert.equal(w.ids[i], at + i - len);
  }
  assert.deepEqual(repeatWindows(stream, 20, 257, 3), ws, 'seeded');
  assert.notDeepEqual(repeatWindows(stream, 20, 257, 4), ws);
});

test('copy windows: random X, random gap, X again; loss only on the predictable part of the copy', () => {
  const specials = [0, 1, 2, 3];
  const ws = copyWindows(200, 50, specials, 8);
  const lens = new Set<number>();
  const gaps = new Set<number>();
  for (const w of ws) {
    const n = w.ids.length;
    const mask = w.mask as Float32Array;
    const first = mask.indexOf(1);
    const len = n - first + 1; // the copy's first token is not scored
    const gap = n - 2 * len;
    assert.ok(len >= 8 && len <= COPY_PASSAGE && gap >= 0 && gap <= COPY_GAP, `len ${len} gap ${gap}`);
    assert.deepEqual([...w.ids.subarray(n - len)], [...w.ids.subarray(0, len)]);
    assert.equal(
      mask.reduce((a, b) => a + b, 0),
      len - 1,
    );
    for (const id of w.ids) assert.ok(id >= 4 && id < 50, 'no special ids');
    lens.add(len);
    gaps.add(gap);
  }
  assert.ok(lens.size > 10 && gaps.size > 10, 'lengths and gaps vary');
  assert.deepEqual(copyWindows(200, 50, specials, 8), ws, 'seeded');
});

test('copy probe: each reading scores the same targets, checked against the typed-array forward', async () => {
  const cfg = { ...TINY, contextLength: 32 };
  const w = initWeights(cfg, 5);
  const model = new Model(cfg, w, 'test');
  const stream = randomIds(400, 9);
  const len = 12;
  const got = await copyProbe(model, stream, { passages: 4, len, seed: 2 });
  // oracle: rebuild the probe's passages (same seeded positions) and score them with Forward
  const rng = new Rng(2);
  const fw = new Forward(cfg, w);
  let first = 0;
  let second = 0;
  for (let p = 0; p < 4; p++) {
    const at = rng.int(stream.length - len);
    const x = Array.from(stream.subarray(at, at + len));
    const ids = [...x, ...x];
    const logits = fw.step(fw.newCache(), ids, false);
    const nll = (i: number): number => {
      const row = logits.subarray(i * cfg.vocabSize, (i + 1) * cfg.vocabSize);
      let m = -Infinity;
      for (const v of row) m = Math.max(m, v);
      let z = 0;
      for (const v of row) z += Math.exp(v - m);
      return Math.log(z) + m - (row[ids[i + 1] as number] as number);
    };
    for (let i = 0; i < len - 1; i++) first += nll(i);
    for (let i = len; i < 2 * len - 1; i++) second += nll(i);
  }
  const n = 4 * (len - 1);
  assert.ok(Math.abs(got.firstReading - first / n) < 1e-4, `${got.firstReading} vs ${first / n}`);
  assert.ok(Math.abs(got.secondReading - second / n) < 1e-4, `${got.secondReading} vs ${second / n}`);
  assert.notEqual(got.firstReading, got.secondReading);
  await assert.rejects(copyProbe(model, stream.subarray(0, 10), { len }), /shorter than one passage/);
});
