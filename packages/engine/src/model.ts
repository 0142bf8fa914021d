// Public model handle: load a base checkpoint, attach LoRA adapters, generate.
import type { ModelConfig } from './config.js';
import { EngineError } from './errors.js';
import { Forward } from './forward.js';
import { loadAdapterDir, loadModelDir, type TokenizerRef } from './io.js';
import { type Adapter, mergeAdapter, type Weights } from './params.js';
import { Rng } from './rng.js';
import { checkSampling, type SamplingOptions, sampleToken } from './sample.js';
import type { TokenizerLike } from './tokenizer-types.js';

export class Model {
  readonly config: ModelConfig;
  readonly weights: Weights;
  readonly tokenizerHash: string;
  readonly adapter: Adapter | null;
  readonly meta: Record<string, unknown>;
  #forward: Forward | null = null;

  constructor(
    config: ModelConfig,
    weights: Weights,
    tokenizerHash: string,
    adapter: Adapter | null = null,
    meta: Record<string, unknown> = {},
  ) {
    this.config = config;
    this.weights = weights;
    this.tokenizerHash = tokenizerHash;
    this.adapter = adapter;
    this.meta = meta;
  }

  /** The model with `adapter` merged into its weights (the base stays unchanged). */
  withAdapter(adapter: Adapter): Model {
    return new Model(
      this.config,
      mergeAdapter(this.config, this.weights, adapter),
      this.tokenizerHash,
      adapter,
      this.meta,
    );
  }

  get forward(): Forward {
    this.#forward ??= new Forward(this.config, this.weights);
    return this.#forward;
  }

  /** Logits for every position of `ids` ([ids.length, vocab]). */
  logits(ids: ArrayLike<number>): Float32Array {
    return this.forward.step(this.forward.newCache(), ids, false);
  }
}

export function loadModel(dir: string, opts: { tokenizer?: TokenizerRef } = {}): Model {
  const m = loadModelDir(dir, opts);
  return new Model(m.config, m.weights, m.tokenizerHash, null, m.meta);
}

export function loadAdapter(dir: string, base: Model): Adapter {
  const { adapter, meta } = loadAdapterDir(dir, base.config);
  const th = meta.tokenizerHash;
  if (typeof th === 'string' && th !== base.tokenizerHash) {
    throw new EngineError(
      'TOKENIZER_MISMATCH',
      `adapter in ${dir} was trained with tokenizer ${th}, the base model uses ${base.tokenizerHash}`,
    );
  }
  return adapter;
}

export type GenerateOptions = SamplingOptions & {
  maxTokens?: number;
  /** Seed of the sampling PRNG (same seed + same inputs → same output). */
  seed?: number;
  /** Stop at any of these ids (default: every special token of the tokenizer). The stop id is not yielded. */
  stop?: number[];
};

export type GeneratedToken = { id: number; index: number; text: string };

function promptIds(prompt: string | ArrayLike<number>, tok: TokenizerLike | undefined): number[] {
  if (typeof prompt !== 'string') return Array.from(prompt);
  if (!tok) throw new EngineError('BAD_ARGS', 'a text prompt needs a tokenizer');
  return tok.encode(prompt, { allowSpecial: false });
}

/**
 * Stream a completion: yields each generated token id and the text it adds. The prompt is token ids
 * (e.g. from `encodeChat`) or plain text. Errors when the prompt does not fit the context.
 */
export async function* generate(
  model: Model,
  prompt: string | ArrayLike<number>,
  opts: GenerateOptions & { tokenizer?: TokenizerLike } = {},
): AsyncGenerator<GeneratedToken> {
  checkSampling(opts);
  const tok = opts.tokenizer;
  if (tok && tok.hash !== model.tokenizerHash) {
    throw new EngineError(
      'TOKENIZER_MISMATCH',
      `model was trained with tokenizer ${model.tokenizerHash}, got ${tok.hash}`,
    );
  }
  const ids = promptIds(prompt, tok);
  if (ids.length === 0) throw new EngineError('EMPTY_INPUT', 'the prompt is empty');
  const ctx = model.config.contextLength;
  if (ids.length >= ctx) {
    throw new EngineError(
      'CONTEXT_OVERFLOW',
      `prompt of ${ids.length} tokens does not fit the context of ${ctx} tokens (at least one token must be generated)`,
    );
  }
  const maxTokens = Math.min(opts.maxTokens ?? 128, ctx - ids.length);
  const stop = new Set(opts.stop ?? (tok ? Object.values(tok.special) : []));
  const rng = new Rng(opts.seed ?? 0);
  const f = model.forward;
  const cache = f.newCache();
  let logits = f.step(cache, ids);
  const out: number[] = [];
  let emitted = '';
  for (let i = 0; i < maxTokens; i++) {
    const id = sampleToken(logits, opts, rng);
    if (stop.has(id)) return;
    out.push(id);
    let text = '';
    if (tok) {
      const full = tok.decode(out);
      if (!full.endsWith('\uFFFD')) {
        text = full.slice(emitted.length);
        emitted = full;
      }
    }
    yield { id, index: i, text };
    if (i + 1 < maxTokens) logits = f.step(cache, [id]);
    // let other work (e.g. an HTTP server) run between tokens
    if (i % 16 === 15) await new Promise((r) => setImmediate(r));
  }
}

/** Generate to completion; returns the ids and text. */
export async function generateText(
  model: Model,
  prompt: string | ArrayLike<number>,
  opts: GenerateOptions & { tokenizer?: TokenizerLike } = {},
): Promise<{ ids: number[]; text: string }> {
  const ids: number[] = [];
  for await (const t of generate(model, prompt, opts)) ids.push(t.id);
  return { ids, text: opts.tokenizer ? opts.tokenizer.decode(ids) : '' };
}

/** Greedy/sampled generation for several prompts at once (batched matmuls); for throughput. */
export function generateBatch(model: Model, prompts: number[][], opts: GenerateOptions = {}): number[][] {
  checkSampling(opts);
  const f = model.forward;
  const rng = new Rng(opts.seed ?? 0);
  const caches = prompts.map(() => f.newCache());
  const outs: number[][] = prompts.map(() => []);
  let logits = prompts.map((p, i) => f.step(caches[i] as never, p));
  const maxTokens = opts.maxTokens ?? 32;
  const V = model.config.vocabSize;
  for (let s = 0; s < maxTokens; s++) {
    const next = logits.map((l) => sampleToken(l, opts, rng));
    next.forEach((id, i) => {
      (outs[i] as number[]).push(id);
    });
    if (s + 1 === maxTokens) break;
    if (caches.some((c) => c.length + 1 > model.config.contextLength)) break;
    const all = f.stepBatch(caches, next);
    logits = prompts.map((_, i) => all.subarray(i * V, (i + 1) * V));
  }
  return outs;
}
