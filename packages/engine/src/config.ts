import { EngineError } from './errors.js';

/** Llama-architecture hyper-parameters (HF `LlamaConfig` field names are produced by `toHfConfig`). */
export type ModelConfig = {
  vocabSize: number;
  dModel: number;
  nLayers: number;
  nHeads: number;
  /** SwiGLU hidden width. */
  dFF: number;
  /** Longest sequence (prompt + generated tokens) the model accepts. */
  contextLength: number;
  ropeTheta: number;
  normEps: number;
  /** The LM head shares the token embedding matrix. */
  tieEmbeddings: boolean;
};

export const DEFAULT_BASE_CONFIG: ModelConfig = {
  vocabSize: 4096,
  dModel: 256,
  nLayers: 4,
  nHeads: 8,
  dFF: 512,
  contextLength: 256,
  ropeTheta: 10000,
  normEps: 1e-5,
  tieEmbeddings: true,
};

export function validateConfig(c: ModelConfig): ModelConfig {
  const ints: (keyof ModelConfig)[] = ['vocabSize', 'dModel', 'nLayers', 'nHeads', 'dFF', 'contextLength'];
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new EngineError('BAD_CONFIG', `model config: ${k} must be a positive integer, got ${String(v)}`);
    }
  }
  if (c.dModel % c.nHeads !== 0 || (c.dModel / c.nHeads) % 2 !== 0) {
    throw new EngineError(
      'BAD_CONFIG',
      `model config: dModel (${c.dModel}) must split into nHeads (${c.nHeads}) even-sized heads`,
    );
  }
  if (!(c.ropeTheta > 0) || !(c.normEps > 0))
    throw new EngineError('BAD_CONFIG', 'model config: ropeTheta and normEps must be > 0');
  return c;
}

export function headDim(c: ModelConfig): number {
  return c.dModel / c.nHeads;
}

/** Linear layers of one block, in HF llama naming, with [out, in] shapes. */
export const PROJECTIONS = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
] as const;
export type Projection = (typeof PROJECTIONS)[number];

export function projShape(c: ModelConfig, p: Projection): [number, number] {
  switch (p) {
    case 'q_proj':
    case 'k_proj':
    case 'v_proj':
    case 'o_proj':
      return [c.dModel, c.dModel];
    case 'gate_proj':
    case 'up_proj':
      return [c.dFF, c.dModel];
    case 'down_proj':
      return [c.dModel, c.dFF];
  }
}

export function projModule(p: Projection): 'self_attn' | 'mlp' {
  return p.endsWith('_proj') && (p === 'gate_proj' || p === 'up_proj' || p === 'down_proj')
    ? 'mlp'
    : 'self_attn';
}

/** Every parameter tensor name (HF llama layout) with its shape, in a fixed order. */
export function paramShapes(c: ModelConfig): [string, number[]][] {
  const out: [string, number[]][] = [['model.embed_tokens.weight', [c.vocabSize, c.dModel]]];
  for (let l = 0; l < c.nLayers; l++) {
    out.push([`model.layers.${l}.input_layernorm.weight`, [c.dModel]]);
    for (const p of PROJECTIONS) {
      if (p === 'gate_proj') out.push([`model.layers.${l}.post_attention_layernorm.weight`, [c.dModel]]);
      out.push([`model.layers.${l}.${projModule(p)}.${p}.weight`, projShape(c, p)]);
    }
  }
  out.push(['model.norm.weight', [c.dModel]]);
  if (!c.tieEmbeddings) out.push(['lm_head.weight', [c.vocabSize, c.dModel]]);
  return out;
}

export function countParams(c: ModelConfig): number {
  return paramShapes(c).reduce((s, [, sh]) => s + sh.reduce((a, b) => a * b, 1), 0);
}

/** HF `config.json` fields for a LlamaForCausalLM, plus our own fields under `openledger`. */
export function toHfConfig(c: ModelConfig, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    intermediate_size: c.dFF,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nHeads,
    max_position_embeddings: c.contextLength,
    rope_theta: c.ropeTheta,
    rms_norm_eps: c.normEps,
    tie_word_embeddings: c.tieEmbeddings,
    hidden_act: 'silu',
    torch_dtype: 'float32',
    ...extra,
  };
}

export function fromHfConfig(j: Record<string, unknown>): ModelConfig {
  const num = (k: string): number => {
    const v = j[k];
    if (typeof v !== 'number')
      throw new EngineError('BAD_CONFIG', `config.json: field ${k} is missing or not a number`);
    return v;
  };
  return validateConfig({
    vocabSize: num('vocab_size'),
    dModel: num('hidden_size'),
    nLayers: num('num_hidden_layers'),
    nHeads: num('num_attention_heads'),
    dFF: num('intermediate_size'),
    contextLength: num('max_position_embeddings'),
    ropeTheta: num('rope_theta'),
    normEps: num('rms_norm_eps'),
    tieEmbeddings: j.tie_word_embeddings !== false,
  });
}
