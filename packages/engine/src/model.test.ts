import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROJECTIONS, paramShapes } from './config.js';
import { Forward } from './forward.js';
import { JaxModel } from './jax-model.js';
import {
  type Adapter,
  cloneWeights,
  initAdapter,
  initWeights,
  mergeAdapter,
  type Weights,
} from './params.js';
import { Rng } from './rng.js';
import { randomIds, TINY } from './test-util.js';

const T = 12;

function scaled(seed: number): Weights {
  // Larger-than-init weights so every layer matters and gradients are well above float32 noise.
  const w = initWeights(TINY, seed);
  const rng = new Rng(seed + 1);
  for (const [k, v] of w) {
    for (let i = 0; i < v.length; i++)
      v[i] = k.includes('norm') ? 1 + 0.3 * rng.normal() : (v[i] as number) * 15;
  }
  return w;
}

function batch(seed: number) {
  const ids = randomIds(T + 1, seed);
  const mask = new Float32Array(T).fill(1);
  mask[0] = 0; // masked positions must not count
  return { batch: 1, seq: T, inputs: ids.slice(0, T), targets: ids.slice(1), mask };
}

function jsLoss(w: Weights, b: ReturnType<typeof batch>): number {
  const r = new Forward(TINY, w).nll(b.inputs, b.targets, b.mask);
  return r.sum / r.count;
}

/** Coordinates with the largest |g| (plus one random) of a tensor. */
function probes(g: Float32Array, rng: Rng): number[] {
  const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b] as number) - Math.abs(g[a] as number));
  return [order[0] as number, order[1] as number, rng.int(g.length)];
}

test('jax loss equals the typed-array forward', async () => {
  const m = await JaxModel.create(TINY);
  const w = scaled(3);
  const b = batch(4);
  const j = await m.loss(w, null, b);
  assert.ok(Math.abs(j.loss - jsLoss(w, b)) < 1e-4, `${j.loss} vs ${jsLoss(w, b)}`);
  assert.equal(j.count, T - 1);
});

test('gradients of every parameter tensor match finite differences', async () => {
  const m = await JaxModel.create(TINY);
  const w = scaled(5);
  const b = batch(6);
  const { grads } = await m.lossAndGrad(w, b);
  const rng = new Rng(9);
  const eps = 1e-2;
  let checked = 0;
  for (const [name] of paramShapes(TINY)) {
    const g = grads.get(name);
    assert.ok(g, `gradient for ${name}`);
    assert.ok(
      g.some((x) => x !== 0),
      `${name} has a non-zero gradient`,
    );
    for (const i of probes(g, rng)) {
      const wp = cloneWeights(w);
      const wm = cloneWeights(w);
      const tp = wp.get(name) as Float32Array;
      const tm = wm.get(name) as Float32Array;
      tp[i] = (tp[i] as number) + eps;
      tm[i] = (tm[i] as number) - eps;
      const fd = (jsLoss(wp, b) - jsLoss(wm, b)) / (2 * eps);
      const an = g[i] as number;
      if (process.env.OL_DEBUG) console.log(name, i, an, fd);
      assert.ok(
        Math.abs(fd - an) <= 2e-3 + 0.03 * Math.abs(an),
        `${name}[${i}]: analytic ${an} vs finite difference ${fd}`,
      );
      checked++;
    }
  }
  assert.equal(checked, paramShapes(TINY).length * 3);
});

test('LoRA gradients (A and B of every projection) match finite differences', async () => {
  const m = await JaxModel.create(TINY);
  const w = scaled(7);
  const ad: Adapter = initAdapter(TINY, { r: 2, alpha: 4, targets: [...PROJECTIONS] }, 8);
  const rng = new Rng(10);
  for (const p of ad.pairs.values()) for (let i = 0; i < p.b.length; i++) p.b[i] = rng.normal() * 0.5;
  const b = batch(11);
  m.freezeBase(w);
  const { loss, grads } = await m.loraLossAndGrad(ad, b);
  assert.ok(
    Math.abs(loss - jsLoss(mergeAdapter(TINY, w, ad), b)) < 1e-4,
    'LoRA loss equals the merged forward',
  );
  const eps = 1e-2;
  for (const [name, pair] of ad.pairs) {
    const g = grads.get(name);
    assert.ok(g, `LoRA gradient for ${name}`);
    for (const which of ['a', 'b'] as const) {
      const gi = g[which];
      for (const i of probes(gi, rng).slice(0, 2)) {
        const orig = pair[which][i] as number;
        pair[which][i] = orig + eps;
        const lp = jsLoss(mergeAdapter(TINY, w, ad), b);
        pair[which][i] = orig - eps;
        const lm = jsLoss(mergeAdapter(TINY, w, ad), b);
        pair[which][i] = orig;
        const fd = (lp - lm) / (2 * eps);
        const an = gi[i] as number;
        assert.ok(Math.abs(fd - an) <= 2e-3 + 0.03 * Math.abs(an), `${name}.${which}[${i}]: ${an} vs ${fd}`);
      }
    }
  }
  m.releaseBase();
});

test('KV-cache decoding equals the full forward; batch step equals single steps', () => {
  const w = scaled(12);
  const f = new Forward(TINY, w);
  const ids = randomIds(10, 13);
  const full = f.step(f.newCache(), ids, false);
  const cache = f.newCache();
  f.step(cache, ids.subarray(0, 4));
  const V = TINY.vocabSize;
  for (let i = 4; i < 10; i++) {
    const l = f.step(cache, [ids[i] as number]);
    for (let j = 0; j < V; j++) assert.ok(Math.abs((l[j] as number) - (full[i * V + j] as number)) < 1e-4);
  }
  const c1 = f.newCache();
  const c2 = f.newCache();
  f.step(c1, ids.subarray(0, 3));
  f.step(c2, ids.subarray(3, 8));
  const both = f.stepBatch([c1, c2], [5, 6]);
  const s1 = f.newCache();
  f.step(s1, ids.subarray(0, 3));
  const one = f.step(s1, [5]);
  for (let j = 0; j < V; j++) assert.ok(Math.abs((both[j] as number) - (one[j] as number)) < 1e-5);
  const plain = new Forward(TINY, w, { wasm: false }).step(f.newCache(), ids, false);
  for (let j = 0; j < full.length; j++)
    assert.ok(Math.abs((full[j] as number) - (plain[j] as number)) < 1e-4, 'wasm kernel = JS loops');
  assert.throws(() => f.step(f.newCache(), randomIds(TINY.contextLength + 1, 1)), {
    code: 'CONTEXT_OVERFLOW',
  });
  assert.throws(() => f.step(f.newCache(), [TINY.vocabSize]), { code: 'BAD_TOKEN' });
});

test('merge then unmerge restores the base weights', () => {
  const w = scaled(14);
  const ad = initAdapter(TINY, { r: 3, alpha: 6, targets: ['q_proj', 'down_proj'] }, 15);
  const rng = new Rng(16);
  for (const p of ad.pairs.values()) for (let i = 0; i < p.b.length; i++) p.b[i] = rng.normal();
  const merged = mergeAdapter(TINY, w, ad);
  const name = 'model.layers.1.self_attn.q_proj.weight';
  assert.notDeepEqual(merged.get(name), w.get(name));
  assert.deepEqual(
    merged.get('model.layers.1.self_attn.k_proj.weight'),
    w.get('model.layers.1.self_attn.k_proj.weight'),
  );
  const back = mergeAdapter(TINY, merged, ad, -1);
  for (const [k, v] of w) {
    const u = back.get(k) as Float32Array;
    for (let i = 0; i < v.length; i++) assert.ok(Math.abs((u[i] as number) - (v[i] as number)) < 1e-5, k);
  }
});
