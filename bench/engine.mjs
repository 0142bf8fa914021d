#!/usr/bin/env node
// Engine benchmark (JSON on stdout): training tokens/s (full and LoRA) on the shipped architecture,
// generation tokens/s at batch 1 and 16 (WebAssembly kernel vs plain JS loops as the in-run
// baseline; training with 1 and 2 jax-js kernel threads), and the training worker's resident memory over 300 steps across its restarts.
// Usage: npm run build && node bench/engine.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  countParams,
  DEFAULT_BASE_CONFIG,
  DEFAULT_HYPER,
  Forward,
  generateBatch,
  initAdapter,
  initWeights,
  Model,
  runJob,
  saveDataset,
} from '../packages/engine/dist/index.js';
import { JaxModel } from '../packages/engine/dist/jax-model.js';
import { Rng } from '../packages/engine/dist/rng.js';

const quick = process.argv.includes('--quick');
const cfg = DEFAULT_BASE_CONFIG;
const out = { config: cfg, params: countParams(cfg), machine: 'shared 2-core; figures vary with load' };
const rng = new Rng(1);
const randBatch = (B, T) => {
  const inputs = Int32Array.from({ length: B * T }, () => rng.int(cfg.vocabSize));
  const targets = Int32Array.from({ length: B * T }, () => rng.int(cfg.vocabSize));
  return { batch: B, seq: T, inputs, targets, mask: new Float32Array(B * T).fill(1) };
};

// --- training throughput (jax-js wasm, eager), with 1 and 2 kernel threads (child processes) ---
async function trainingThroughput() {
  const jm = await JaxModel.create(cfg);
  const w = initWeights(cfg, 1);
  const b = randBatch(8, 256);
  const steps = quick ? 1 : 3;
  await jm.lossAndGrad(w, b); // warm-up (kernel compilation)
  let t = performance.now();
  for (let i = 0; i < steps; i++) await jm.lossAndGrad(w, b);
  const full = (steps * 8 * 256) / ((performance.now() - t) / 1000);
  jm.freezeBase(w);
  const ad = initAdapter(
    cfg,
    {
      r: 8,
      alpha: 16,
      targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
    },
    2,
  );
  await jm.loraLossAndGrad(ad, b);
  t = performance.now();
  for (let i = 0; i < steps; i++) await jm.loraLossAndGrad(ad, b);
  const lora = (steps * 8 * 256) / ((performance.now() - t) / 1000);
  jm.releaseBase();
  return { full, lora };
}

if (process.argv.includes('--training-child')) {
  console.log(JSON.stringify(await trainingThroughput()));
  process.exit(0);
}

{
  const run = (threads) => {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--training-child', ...(quick ? ['--quick'] : [])],
      {
        env: { ...process.env, OPENLEDGER_JAX_THREADS: String(threads) },
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`training child (${threads} threads) failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  const one = run(1);
  const two = run(2);
  out.training = {
    batch: '8 x 256 tokens',
    fullTokensPerSec: { threads1: Math.round(one.full), threads2: Math.round(two.full) },
    loraTokensPerSec: { threads1: Math.round(one.lora), threads2: Math.round(two.lora) },
    twoThreadsOverOne: { full: +(two.full / one.full).toFixed(2), lora: +(two.lora / one.lora).toFixed(2) },
    loraOverFull: +(two.lora / two.full).toFixed(2),
    loraEpochOf100kTokensMinutes: +(100_000 / two.lora / 60).toFixed(1),
  };
}

// --- generation throughput (typed-array forward with KV cache) ---
{
  const w = initWeights(cfg, 3);
  const prompt = Array.from({ length: 32 }, () => rng.int(cfg.vocabSize));
  const gen = quick ? 32 : 96;
  const time = (f) => {
    const t = performance.now();
    const n = f();
    return n / ((performance.now() - t) / 1000);
  };
  const decode = (fw) => () => {
    const c = fw.newCache();
    fw.step(c, prompt);
    for (let i = 0; i < gen; i++) fw.step(c, [i % cfg.vocabSize]);
    return gen;
  };
  const wasmF = new Forward(cfg, w);
  const jsF = new Forward(cfg, w, { wasm: false });
  decode(wasmF)();
  const b1 = time(decode(wasmF));
  const b1js = time(decode(jsF));
  const m = new Model(cfg, w, 'bench');
  const prompts = Array.from({ length: 16 }, (_, i) => prompt.slice(i % 8));
  const b16 = time(() => generateBatch(m, prompts, { maxTokens: gen }).reduce((s, o) => s + o.length, 0));
  out.generation = {
    batch1TokensPerSec: Math.round(b1),
    batch1PlainJsTokensPerSec: Math.round(b1js),
    wasmOverPlainJs: +(b1 / b1js).toFixed(2),
    batch16TokensPerSec: Math.round(b16),
    batch16OverBatch1: +(b16 / b1).toFixed(2),
  };
}

// --- training worker memory over 300 steps across restarts (small config so it runs in minutes) ---
{
  const dir = mkdtempSync(join(tmpdir(), 'engine-bench-'));
  const small = { ...cfg, dModel: 64, nLayers: 2, nHeads: 4, dFF: 128, contextLength: 128 };
  const train = Array.from({ length: 64 }, () => ({
    ids: Int32Array.from({ length: 129 }, () => rng.int(cfg.vocabSize)),
  }));
  saveDataset(join(dir, 'data.safetensors'), { train, heldOut: train.slice(0, 4) });
  const steps = quick ? 60 : 300;
  const restartEvery = quick ? 20 : 100;
  const rss = [];
  let restarts = 0;
  const t = performance.now();
  await runJob(
    {
      kind: 'base',
      outDir: join(dir, 'job'),
      datasetPath: join(dir, 'data.safetensors'),
      tokenizerHash: 'bench',
      hyper: { ...DEFAULT_HYPER, steps, batchSize: 8, seqLen: 129, evalEvery: 0 },
      config: small,
      initSeed: 1,
      restartEvery,
    },
    (e) => {
      if (e.type === 'rss') rss.push([e.step, e.rssMiB]);
      if (e.type === 'restart') restarts++;
    },
  );
  const slope = (pts) => {
    const n = pts.length;
    const mx = pts.reduce((s, p) => s + p[0], 0) / n;
    const my = pts.reduce((s, p) => s + p[1], 0) / n;
    const num = pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
    const den = pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
    return den > 0 ? num / den : 0;
  };
  const warm = rss.filter(([s]) => s > 10);
  const segments = [];
  for (let s0 = 0; s0 < steps; s0 += restartEvery) {
    const seg = rss.filter(([s]) => s > s0 && s <= s0 + restartEvery);
    segments.push({
      steps: `${s0 + 1}-${s0 + restartEvery}`,
      maxRssMiB: Math.round(Math.max(...seg.map((p) => p[1]))),
      slopeMiBPerStep: +slope(seg.filter(([s]) => s > s0 + 5)).toFixed(3),
    });
  }
  out.trainingWorkerMemory = {
    config: 'dModel 64, 2 layers, batch 8 x 128',
    steps,
    restartEvery,
    restarts,
    seconds: Math.round((performance.now() - t) / 1000),
    slopeAcrossRestartsMiBPerStep: +slope(warm).toFixed(3),
    segments,
  };
  rmSync(dir, { recursive: true, force: true });
}

console.log(JSON.stringify(out, null, 2));
