/** What the engine needs from a tokenizer (satisfied by `@openledger/tokenizer`'s `Tokenizer`). */
export type TokenizerLike = {
  readonly hash: string;
  readonly vocabSize: number;
  readonly special: Readonly<
    Record<'bos' | 'eos' | 'pad' | 'user' | 'assistant' | 'system' | 'context' | 'sep', number>
  >;
  encode(text: string, options?: { allowSpecial?: boolean }): number[];
  decode(ids: readonly number[] | Uint32Array | Int32Array): string;
};
