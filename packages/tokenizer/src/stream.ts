/**
 * Decodes a stream of token ids to text, emitting only complete UTF-8 characters: bytes of a character
 * split across tokens are held until the rest arrives. Invalid UTF-8 becomes U+FFFD.
 */
export class StreamDecoder {
  readonly #decodeBytes: (ids: ArrayLike<number>) => Uint8Array;
  readonly #decoder = new TextDecoder('utf-8');

  constructor(decodeBytes: (ids: ArrayLike<number>) => Uint8Array) {
    this.#decodeBytes = decodeBytes;
  }

  /** Adds ids (or one id) and returns the text that is now complete (possibly ''). */
  push(ids: ArrayLike<number> | number): string {
    const bytes = this.#decodeBytes(typeof ids === 'number' ? [ids] : ids);
    return this.#decoder.decode(bytes, { stream: true });
  }

  /** Ends the stream: returns what is left (an incomplete character becomes U+FFFD) and resets. */
  flush(): string {
    return this.#decoder.decode();
  }
}
