import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadAdapterDir, loadModelDir, peftName, saveAdapter, saveModel } from './io.js';
import { loadAdapter, loadModel, Model } from './model.js';
import { initAdapter, initWeights } from './params.js';
import { Rng } from './rng.js';
import { writeSafetensors } from './safetensors.js';
import { randomIds, TINY } from './test-util.js';

const dir = mkdtempSync(join(tmpdir(), 'engine-io-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const HASH = 'ab'.repeat(32);

test('save → load gives identical logits (base and adapter), PEFT names', () => {
  const w = initWeights(TINY, 1);
  saveModel(join(dir, 'base'), TINY, w, HASH, { note: 'x' });
  const m = loadModel(join(dir, 'base'), { tokenizer: { hash: HASH } });
  assert.deepEqual(m.config, TINY);
  assert.equal(m.tokenizerHash, HASH);
  const ids = randomIds(8, 2);
  assert.deepEqual(m.logits(ids), new Model(TINY, w, HASH).logits(ids));
  const cfg = JSON.parse(readFileSync(join(dir, 'base', 'config.json'), 'utf8'));
  assert.equal(cfg.model_type, 'llama');
  assert.equal(cfg.openledger.tokenizerHash, HASH);

  const ad = initAdapter(TINY, { r: 2, alpha: 4, targets: ['q_proj', 'v_proj', 'up_proj'] }, 3);
  const rng = new Rng(4);
  for (const p of ad.pairs.values()) for (let i = 0; i < p.b.length; i++) p.b[i] = rng.normal();
  saveAdapter(join(dir, 'ad'), TINY, ad, { tokenizerHash: HASH });
  const acfg = JSON.parse(readFileSync(join(dir, 'ad', 'adapter_config.json'), 'utf8'));
  assert.equal(acfg.peft_type, 'LORA');
  assert.equal(acfg.r, 2);
  assert.deepEqual(acfg.target_modules, ['q_proj', 'v_proj', 'up_proj']);
  assert.equal(
    peftName('model.layers.0.self_attn.q_proj.weight', 'A'),
    'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
  );
  const ad2 = loadAdapter(join(dir, 'ad'), m);
  const a = m.withAdapter(ad).logits(ids);
  assert.deepEqual(m.withAdapter(ad2).logits(ids), a);
  assert.notDeepEqual(a, m.logits(ids), 'the adapter changes the output');
});

test('a tokenizer whose hash differs from the model is refused', () => {
  assert.throws(() => loadModelDir(join(dir, 'base'), { tokenizer: { hash: 'cd'.repeat(32) } }), {
    code: 'TOKENIZER_MISMATCH',
    message: /trained with tokenizer abab.*use the tokenizer the model was trained with/,
  });
});

test('missing or unknown adapter files give clear errors', () => {
  assert.throws(() => loadAdapterDir(join(dir, 'nope'), TINY), {
    code: 'MISSING_FILE',
    message: /adapter_config.json does not exist/,
  });
  const bad = join(dir, 'bad');
  saveAdapter(bad, TINY, initAdapter(TINY, { r: 2, alpha: 4, targets: ['q_proj'] }, 5));
  const st = writeSafetensors(
    new Map([
      [
        'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
        { shape: [2, 16], data: new Float32Array(32) },
      ],
      [
        'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
        { shape: [16, 2], data: new Float32Array(32) },
      ],
      [
        'base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight',
        { shape: [2, 16], data: new Float32Array(32) },
      ],
      [
        'base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight',
        { shape: [16, 2], data: new Float32Array(32) },
      ],
      ['base_model.model.model.layers.9.mlp.foo.lora_A.weight', { shape: [1], data: new Float32Array(1) }],
    ]),
  );
  writeFileSync(join(bad, 'adapter_model.safetensors'), st);
  assert.throws(() => loadAdapterDir(bad, TINY), {
    code: 'BAD_ADAPTER',
    message: /unexpected tensor .*layers\.9/,
  });
  rmSync(join(bad, 'adapter_model.safetensors'));
  assert.throws(() => loadAdapterDir(bad, TINY), {
    code: 'MISSING_FILE',
    message: /adapter_model.safetensors does not exist/,
  });
  writeFileSync(join(bad, 'adapter_model.safetensors'), new Uint8Array([1, 2, 3]));
  assert.throws(() => loadAdapterDir(bad, TINY), { code: 'BAD_SAFETENSORS' });
});

test('a corrupted model checkpoint header gives a clear error', () => {
  const p = join(dir, 'base', 'model.safetensors');
  const bytes = readFileSync(p);
  bytes[10] = 0xff; // invalid UTF-8 inside the JSON header
  writeFileSync(p, bytes);
  assert.throws(() => loadModel(join(dir, 'base')), { code: 'BAD_SAFETENSORS', message: /corrupted/ });
});
