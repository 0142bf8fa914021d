// Checkpoint formats: base model = `model.safetensors` + HF-style `config.json` (with our tokenizer
// hash); adapter = PEFT layout `adapter_config.json` + `adapter_model.safetensors`.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  fromHfConfig,
  type ModelConfig,
  PROJECTIONS,
  type Projection,
  paramShapes,
  projShape,
  toHfConfig,
} from './config.js';
import { EngineError } from './errors.js';
import {
  type Adapter,
  checkWeights,
  type LoraConfig,
  type LoraPair,
  projName,
  type Weights,
} from './params.js';
import { readSafetensors, type Tensor, writeSafetensors } from './safetensors.js';

export type TokenizerRef = { hash: string };

export type LoadedModel = {
  config: ModelConfig;
  weights: Weights;
  tokenizerHash: string;
  meta: Record<string, unknown>;
};

/** Write a file atomically (temp file + rename) so a crash never leaves half a checkpoint. */
export function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function weightsToTensors(c: ModelConfig, w: Weights): Map<string, Tensor> {
  const m = new Map<string, Tensor>();
  for (const [name, shape] of paramShapes(c)) {
    const data = w.get(name);
    if (!data) throw new EngineError('BAD_CHECKPOINT', `weights are missing ${name}`);
    m.set(name, { shape, data });
  }
  return m;
}

export function saveModel(
  dir: string,
  c: ModelConfig,
  w: Weights,
  tokenizerHash: string,
  meta: Record<string, unknown> = {},
): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(
    join(dir, 'model.safetensors'),
    writeSafetensors(weightsToTensors(c, w), { format: 'pt', tokenizer_hash: tokenizerHash }),
  );
  const cfgJson = toHfConfig(c, { openledger: { tokenizerHash, ...meta } });
  writeAtomic(join(dir, 'config.json'), `${JSON.stringify(cfgJson, null, 2)}\n`);
}

function readJson(path: string, what: string): Record<string, unknown> {
  if (!existsSync(path)) throw new EngineError('MISSING_FILE', `${what}: ${path} does not exist`);
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new Error('not an object');
    return j as Record<string, unknown>;
  } catch (e) {
    throw new EngineError('BAD_CONFIG', `${what}: ${path} is not a JSON object (${(e as Error).message})`);
  }
}

/**
 * Load a base model directory. With `tokenizer`, its hash must equal the one the model was trained
 * with (a model reads token ids; another vocabulary would make it read nonsense).
 */
export function loadModelDir(dir: string, opts: { tokenizer?: TokenizerRef } = {}): LoadedModel {
  const j = readJson(join(dir, 'config.json'), 'model config');
  const config = fromHfConfig(j);
  const ol = (j.openledger ?? {}) as Record<string, unknown>;
  const tokenizerHash = typeof ol.tokenizerHash === 'string' ? ol.tokenizerHash : '';
  if (opts.tokenizer && opts.tokenizer.hash !== tokenizerHash) {
    throw new EngineError(
      'TOKENIZER_MISMATCH',
      `model in ${dir} was trained with tokenizer ${tokenizerHash || '(none recorded)'}, but tokenizer ${opts.tokenizer.hash} was given; use the tokenizer the model was trained with`,
      { expected: tokenizerHash, got: opts.tokenizer.hash },
    );
  }
  const path = join(dir, 'model.safetensors');
  if (!existsSync(path)) throw new EngineError('MISSING_FILE', `model weights: ${path} does not exist`);
  const st = readSafetensors(readFileSync(path));
  const weights: Weights = new Map();
  for (const [name, shape] of paramShapes(config)) {
    const t = st.tensors.get(name);
    if (!t) throw new EngineError('BAD_CHECKPOINT', `${path} is missing tensor ${name}`);
    if (t.shape.join('x') !== shape.join('x')) {
      throw new EngineError(
        'BAD_CHECKPOINT',
        `${path}: tensor ${name} has shape ${t.shape.join('x')}, config needs ${shape.join('x')}`,
      );
    }
    weights.set(name, t.data);
  }
  checkWeights(config, weights);
  return { config, weights, tokenizerHash, meta: ol };
}

const PEFT_PREFIX = 'base_model.model.';

/** PEFT tensor names: base_model.model.model.layers.{l}.self_attn.q_proj.lora_A.weight */
export function peftName(weightName: string, which: 'A' | 'B'): string {
  return `${PEFT_PREFIX}${weightName.replace(/\.weight$/, '')}.lora_${which}.weight`;
}

export function saveAdapter(
  dir: string,
  c: ModelConfig,
  ad: Adapter,
  meta: Record<string, unknown> = {},
): void {
  mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, Tensor>();
  for (const [name, pair] of ad.pairs) {
    const p = name.split('.')[4] as Projection;
    const [out, inn] = projShape(c, p);
    tensors.set(peftName(name, 'A'), { shape: [ad.config.r, inn], data: pair.a });
    tensors.set(peftName(name, 'B'), { shape: [out, ad.config.r], data: pair.b });
  }
  writeAtomic(join(dir, 'adapter_model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
  const cfg = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    r: ad.config.r,
    lora_alpha: ad.config.alpha,
    lora_dropout: 0,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    target_modules: [...ad.config.targets],
    base_model_name_or_path: typeof meta.baseModel === 'string' ? meta.baseModel : null,
    openledger: meta,
  };
  writeAtomic(join(dir, 'adapter_config.json'), `${JSON.stringify(cfg, null, 2)}\n`);
}

export function loadAdapterDir(
  dir: string,
  c: ModelConfig,
): { adapter: Adapter; meta: Record<string, unknown> } {
  const j = readJson(join(dir, 'adapter_config.json'), 'adapter config');
  if (j.peft_type !== 'LORA')
    throw new EngineError('BAD_ADAPTER', `${dir}: adapter_config.json peft_type must be "LORA"`);
  const r = j.r;
  const alpha = j.lora_alpha;
  const targets = j.target_modules;
  if (typeof r !== 'number' || typeof alpha !== 'number' || !Array.isArray(targets)) {
    throw new EngineError(
      'BAD_ADAPTER',
      `${dir}: adapter_config.json needs numeric r, lora_alpha and a target_modules list`,
    );
  }
  for (const t of targets) {
    if (!PROJECTIONS.includes(t as Projection))
      throw new EngineError('BAD_ADAPTER', `${dir}: unknown target module ${String(t)}`);
  }
  const path = join(dir, 'adapter_model.safetensors');
  if (!existsSync(path)) throw new EngineError('MISSING_FILE', `adapter weights: ${path} does not exist`);
  const st = readSafetensors(readFileSync(path));
  const config: LoraConfig = { r, alpha, targets: targets as Projection[] };
  const pairs = new Map<string, LoraPair>();
  const expected = new Set<string>();
  for (let l = 0; l < c.nLayers; l++) {
    for (const p of config.targets) {
      const name = projName(l, p);
      const [out, inn] = projShape(c, p);
      const a = st.tensors.get(peftName(name, 'A'));
      const b = st.tensors.get(peftName(name, 'B'));
      expected.add(peftName(name, 'A'));
      expected.add(peftName(name, 'B'));
      if (!a || !b) throw new EngineError('BAD_ADAPTER', `${path} is missing the LoRA pair for ${name}`);
      if (a.shape.join('x') !== `${r}x${inn}` || b.shape.join('x') !== `${out}x${r}`) {
        throw new EngineError(
          'BAD_ADAPTER',
          `${path}: LoRA pair for ${name} does not fit the base model (rank ${r})`,
        );
      }
      pairs.set(name, { a: a.data, b: b.data });
    }
  }
  for (const name of st.tensors.keys()) {
    if (!expected.has(name))
      throw new EngineError('BAD_ADAPTER', `${path}: unexpected tensor ${name} for this base model`);
  }
  return { adapter: { config, pairs }, meta: (j.openledger ?? {}) as Record<string, unknown> };
}
