// @openledger/engine public API.

export { type TrainBaseOptions, trainBase } from './base-train.js';
export {
  CHAT_TEMPLATE,
  CHAT_TEMPLATE_HASH,
  type ChatInput,
  type ChatMessage,
  CONTEXT_MAX_ROWS,
  CONTEXT_ROW_MAX_TOKENS,
  encodeChat,
} from './chat-template.js';
export { engineCommand } from './cli.js';
export {
  countParams,
  DEFAULT_BASE_CONFIG,
  type ModelConfig,
  PROJECTIONS,
  type Projection,
  paramShapes,
} from './config.js';
export { type Dataset, type Example, loadDataset, makeBatch, saveDataset } from './dataset.js';
export { EngineError } from './errors.js';
export { evaluate, longestSpan, ngramBaselines, spanEval } from './evaluate.js';
export {
  buildQaDataset,
  DEFAULT_LORA,
  FINETUNE_HYPER,
  type FinetuneOptions,
  finetune,
  headword,
  type Row,
  readRows,
} from './finetune.js';
export { Forward, KvCache } from './forward.js';
export {
  buildInfluenceStore,
  contributorInfluence,
  DEFAULT_INFLUENCE,
  InfluenceIndex,
  type InfluenceParams,
  type InfluenceRow,
  type InfluenceStore,
  influenceScores,
  loadInfluence,
  queryInfluence,
  saveInfluence,
} from './influence.js';
export { loadAdapterDir, loadModelDir, saveAdapter, saveModel } from './io.js';
export { type JobEvent, runJob, type TrainJob } from './job.js';
export {
  type GeneratedToken,
  type GenerateOptions,
  generate,
  generateBatch,
  generateText,
  loadAdapter,
  loadModel,
  Model,
} from './model.js';
export {
  type Adapter,
  initAdapter,
  initWeights,
  type LoraConfig,
  type LoraPair,
  mergeAdapter,
  type Weights,
} from './params.js';
export { Bm25 } from './retrieval.js';
export { Rng } from './rng.js';
export { readSafetensors, type Tensor, writeSafetensors } from './safetensors.js';
export { type SamplingOptions, sampleToken } from './sample.js';
export type { TokenizerLike } from './tokenizer-types.js';
export { DEFAULT_HYPER, type ProgressEvent, Trainer, type TrainHyper } from './train.js';
