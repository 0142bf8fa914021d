export {
  DEFAULT_TOKENIZER_FILE,
  DEFAULT_TOKENIZER_HASH,
  defaultTokenizerPath,
  loadDefaultTokenizer,
} from './default.js';
export { TokenizerError, type TokenizerErrorCode } from './errors.js';
export {
  hashTokenizerFile,
  MAX_VOCAB_SIZE,
  parseTokenizerFile,
  type SpecialToken,
  serializeTokenizerFile,
  TOKENIZER_FORMAT,
  TOKENIZER_FORMAT_VERSION,
  type TokenizerFile,
  tokenizerFileBytes,
  validateTokenizerFile,
} from './file.js';
export { PRETOKENIZE_PATTERN, PRETOKENIZER_ID, pretokenize } from './pretokenize.js';
export {
  BYTE_TOKEN_COUNT,
  DEFAULT_SPECIAL_TOKENS,
  SPECIAL_TOKEN_IDS,
  type SpecialTokenName,
} from './special.js';
export { StreamDecoder } from './stream.js';
export { type EncodeOptions, type FromFileOptions, Tokenizer } from './tokenizer.js';
export { type TrainBpeOptions, trainBpe } from './train.js';
