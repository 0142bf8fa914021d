/** Number of byte tokens: ids 0..255 are the raw byte values. */
export const BYTE_TOKEN_COUNT = 256;

/**
 * The fixed special tokens every OpenLedger BPE file starts with, in id order. Their ids are fixed for every
 * vocabulary size: `<|bos|>` = 256, `<|eos|>` = 257, `<|pad|>` = 258, `<|user|>` = 259,
 * `<|assistant|>` = 260, `<|system|>` = 261, `<|context|>` = 262, `<|sep|>` = 263.
 */
export const DEFAULT_SPECIAL_TOKENS = [
  '<|bos|>',
  '<|eos|>',
  '<|pad|>',
  '<|user|>',
  '<|assistant|>',
  '<|system|>',
  '<|context|>',
  '<|sep|>',
] as const;

/** Names of the fixed special tokens, as used in `tokenizer.special`. */
export type SpecialTokenName = 'bos' | 'eos' | 'pad' | 'user' | 'assistant' | 'system' | 'context' | 'sep';

/** Ids of the fixed special tokens (the same in every vocabulary). */
export const SPECIAL_TOKEN_IDS: Readonly<Record<SpecialTokenName, number>> = Object.freeze({
  bos: 256,
  eos: 257,
  pad: 258,
  user: 259,
  assistant: 260,
  system: 261,
  context: 262,
  sep: 263,
});
