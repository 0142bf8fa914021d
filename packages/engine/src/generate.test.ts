import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generate, generateBatch, generateText, Model } from './model.js';
import { initWeights } from './params.js';
import { Rng } from './rng.js';
import { argmax, sampleToken } from './sample.js';
import { randomIds, TINY } from './test-util.js';

function model(): Model {
  const w = initWeights(TINY, 21);
  for (const [k, v] of w)
    if (!k.includes('norm')) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * 20;
  return new Model(TINY, w, 'h');
}

async function collect(m: Model, prompt: number[], opts: Parameters<typeof generate>[2]): Promise<number[]> {
  const out: number[] = [];
  for await (const t of generate(m, prompt, opts)) out.push(t.id);
  return out;
}

test('greedy generation follows the argmax of the full forward', async () => {
  const m = model();
  const prompt = [...randomIds(5, 1)];
  const out = await collect(m, prompt, { maxTokens: 6 });
  assert.equal(out.length, 6);
  const seq = [...prompt];
  for (const id of out) {
    const l = m.logits(seq);
    assert.equal(id, argmax(l.subarray((seq.length - 1) * TINY.vocabSize)));
    seq.push(id);
  }
  assert.deepEqual(generateBatch(m, [prompt, prompt.slice(1)], { maxTokens: 6 })[0], out);
});

test('seeded sampling replays exactly; different seeds differ', async () => {
  const m = model();
  const prompt = [...randomIds(4, 2)];
  const o = { maxTokens: 12, temperature: 1.5, topK: 20, topP: 0.95 };
  const a = await collect(m, prompt, { ...o, seed: 7 });
  assert.deepEqual(await collect(m, prompt, { ...o, seed: 7 }), a);
  const others = await Promise.all([8, 9, 10].map((seed) => collect(m, prompt, { ...o, seed })));
  assert.ok(others.some((x) => x.join() !== a.join()));
});

test('top-k and top-p restrict the candidates', () => {
  const logits = Float32Array.from([0, 5, 4.9, -1, 3]);
  const rng = new Rng(1);
  for (let i = 0; i < 200; i++)
    assert.ok([1, 2].includes(sampleToken(logits, { temperature: 1, topK: 2 }, rng)));
  for (let i = 0; i < 200; i++) assert.equal(sampleToken(logits, { temperature: 1, topP: 0.01 }, rng), 1);
  assert.equal(sampleToken(logits, { temperature: 0 }, rng), 1);
});

test('bad generation input gives clear errors', async () => {
  const m = model();
  await assert.rejects(collect(m, [...randomIds(TINY.contextLength, 3)], {}), {
    code: 'CONTEXT_OVERFLOW',
    message: /does not fit the context/,
  });
  await assert.rejects(collect(m, [], {}), { code: 'EMPTY_INPUT' });
  await assert.rejects(collect(m, [1], { temperature: -1 }), { code: 'BAD_ARGS' });
  await assert.rejects(generateText(m, 'text without a tokenizer'), { code: 'BAD_ARGS' });
  const tok = {
    hash: 'other',
    vocabSize: 32,
    special: { bos: 0, eos: 1, pad: 2, user: 3, assistant: 4, system: 5, context: 6, sep: 7 },
    encode: () => [1],
    decode: () => '',
  };
  await assert.rejects(generateText(m, 'x', { tokenizer: tok }), { code: 'TOKENIZER_MISMATCH' });
});
