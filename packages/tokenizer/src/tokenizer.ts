import { bpeMerge, pairKey } from './bpe.js';
import { TokenizerError } from './errors.js';
import {
  hashTokenizerFile,
  parseTokenizerFile,
  type TokenizerFile,
  tokenizerFileBytes,
  validateTokenizerFile,
} from './file.js';
import { pieceEnd } from './pretokenize.js';
import { BYTE_TOKEN_COUNT, SPECIAL_TOKEN_IDS, type SpecialTokenName } from './special.js';
import { StreamDecoder } from './stream.js';

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /**
   * When true, the literal text of a special token (e.g. `<|eos|>`) becomes its special id. When false (the
   * default) it is encoded as ordinary text, so user text can never inject special tokens.
   */
  readonly allowSpecial?: boolean;
}

/** Options of {@link Tokenizer.fromFile}. */
export interface FromFileOptions {
  /** When given, the file's hash must equal it (lowercase hex sha256), else `TOKENIZER_HASH_MISMATCH`. */
  readonly expectedHash?: string;
}

const CACHE_LIMIT = 1 << 16;
const utf8Encoder = new TextEncoder();

/**
 * A frozen byte-level BPE vocabulary with deterministic `encode`/`decode` (integers only). Build it with
 * {@link Tokenizer.fromFile} (canonical file bytes) or {@link Tokenizer.fromTokenizerFile}.
 */
export class Tokenizer {
  /** Lowercase hex sha256 of the canonical file: the vocabulary's identity, pinned by model versions. */
  readonly hash: string;
  /** Number of token ids: ids are `0 .. vocabSize - 1`. */
  readonly vocabSize: number;
  /** Ids of the fixed special tokens: `special.eos` etc. */
  readonly special: Readonly<Record<SpecialTokenName, number>> = SPECIAL_TOKEN_IDS;
  /** Every special token of this vocabulary (the fixed 8 first), by id. */
  readonly specialTokens: readonly { readonly id: number; readonly text: string }[];
  /** The validated file content. */
  readonly file: TokenizerFile;

  readonly #firstMergeId: number;
  readonly #ranks = new Map<number, number>();
  readonly #tokenBytes: Uint8Array[] = [];
  readonly #specialByText = new Map<string, number>();
  readonly #specialPattern: RegExp | undefined;
  #cache = new Map<string, number[]>();

  private constructor(file: TokenizerFile) {
    this.file = file;
    this.hash = hashTokenizerFile(file);
    this.vocabSize = file.vocabSize;
    this.specialTokens = file.specialTokens;
    this.#firstMergeId = BYTE_TOKEN_COUNT + file.specialTokens.length;
    for (let byte = 0; byte < BYTE_TOKEN_COUNT; byte++) this.#tokenBytes.push(Uint8Array.of(byte));
    for (const token of file.specialTokens) {
      this.#tokenBytes.push(utf8Encoder.encode(token.text));
      this.#specialByText.set(token.text, token.id);
    }
    file.merges.forEach(([left, right], rank) => {
      this.#ranks.set(pairKey(left, right), rank);
      const a = this.#tokenBytes[left]!;
      const b = this.#tokenBytes[right]!;
      const bytes = new Uint8Array(a.length + b.length);
      bytes.set(a, 0);
      bytes.set(b, a.length);
      this.#tokenBytes.push(bytes);
    });
    // Longest literal first, so a special token that is a prefix of another never wins.
    const literals = [...this.#specialByText.keys()].sort((x, y) => y.length - x.length || (x < y ? -1 : 1));
    this.#specialPattern =
      literals.length === 0 ? undefined : new RegExp(literals.map(escapeRegExp).join('|'), 'g');
  }

  /**
   * Loads a tokenizer from its canonical file (bytes or text). Throws a {@link TokenizerError} when the file is
   * corrupt, invalid or not canonical, or when `expectedHash` is given and differs.
   */
  static fromFile(input: Uint8Array | string, options: FromFileOptions = {}): Tokenizer {
    const tokenizer = new Tokenizer(parseTokenizerFile(input));
    if (options.expectedHash !== undefined && options.expectedHash !== tokenizer.hash) {
      throw new TokenizerError(
        'TOKENIZER_HASH_MISMATCH',
        `The tokenizer file has hash ${tokenizer.hash}, but ${options.expectedHash} was expected. ` +
          'Use the tokenizer file that the model was trained with.',
      );
    }
    return tokenizer;
  }

  /** Builds a tokenizer from file content (for example the result of `trainBpe`), validating it. */
  static fromTokenizerFile(file: TokenizerFile): Tokenizer {
    validateTokenizerFile(file);
    return new Tokenizer(file);
  }

  /** The canonical file bytes; their sha256 is {@link Tokenizer.hash}. */
  serialize(): Uint8Array {
    return tokenizerFileBytes(this.file);
  }

  /**
   * Encodes `text` (a JavaScript string; lone surrogates become U+FFFD, as with `TextEncoder`) to token ids.
   * No normalisation is applied. Deterministic and integer-only.
   *
   * PERF: linear in the text; each distinct pre-token is merged once and cached.
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (options.allowSpecial === true && this.#specialPattern !== undefined) {
      const pattern = this.#specialPattern;
      pattern.lastIndex = 0;
      let start = 0;
      for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
        if (match.index > start) this.#encodeOrdinary(text.slice(start, match.index), ids);
        ids.push(this.#specialByText.get(match[0])!);
        start = match.index + match[0].length;
      }
      if (start < text.length) this.#encodeOrdinary(text.slice(start), ids);
      return ids;
    }
    this.#encodeOrdinary(text, ids);
    return ids;
  }

  /** Concatenated bytes of the tokens (special tokens give their literal text). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let length = 0;
    for (let i = 0; i < ids.length; i++) length += this.#bytesOf(ids[i]!).length;
    const out = new Uint8Array(length);
    let offset = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.#tokenBytes[ids[i]!]!;
      out.set(bytes, offset);
      offset += bytes.length;
    }
    return out;
  }

  /**
   * Decodes ids to text. Bytes that are not valid UTF-8 (e.g. ids that stop inside a character) become
   * U+FFFD; use {@link Tokenizer.decodeBytes} or {@link Tokenizer.createStreamDecoder} to avoid that.
   */
  decode(ids: ArrayLike<number>): string {
    return new TextDecoder('utf-8').decode(this.decodeBytes(ids));
  }

  /** The bytes of one token (a copy). */
  tokenBytes(id: number): Uint8Array {
    return this.#bytesOf(id).slice();
  }

  /** True for the ids of special tokens. */
  isSpecial(id: number): boolean {
    return id >= BYTE_TOKEN_COUNT && id < this.#firstMergeId;
  }

  /** The id of a special token by its literal text, or undefined. */
  specialTokenId(text: string): number | undefined {
    return this.#specialByText.get(text);
  }

  /** A decoder for streamed ids that only ever emits complete UTF-8 characters. */
  createStreamDecoder(): StreamDecoder {
    return new StreamDecoder((ids) => this.decodeBytes(ids));
  }

  #bytesOf(id: number): Uint8Array {
    const bytes = Number.isInteger(id) ? this.#tokenBytes[id] : undefined;
    if (bytes === undefined) {
      throw new TokenizerError(
        'TOKENIZER_UNKNOWN_TOKEN_ID',
        `Token id ${String(id)} is not in this vocabulary (ids 0..${this.vocabSize - 1}); ` +
          'the ids come from another tokenizer or are corrupt.',
      );
    }
    return bytes;
  }

  #encodeOrdinary(text: string, ids: number[]): void {
    for (let start = 0; start < text.length; ) {
      const end = pieceEnd(text, start);
      const piece = text.slice(start, end);
      start = end;
      let pieceIds = this.#cache.get(piece);
      if (pieceIds === undefined) {
        pieceIds = bpeMerge(pieceBytes(piece), this.#ranks, this.#firstMergeId);
        if (this.#cache.size >= CACHE_LIMIT) this.#cache = new Map();
        this.#cache.set(piece, pieceIds);
      }
      for (let i = 0; i < pieceIds.length; i++) ids.push(pieceIds[i]!);
    }
  }
}

/** UTF-8 bytes of a piece; ASCII pieces skip the encoder. */
function pieceBytes(piece: string): ArrayLike<number> {
  const ascii: number[] = [];
  for (let i = 0; i < piece.length; i++) {
    const unit = piece.charCodeAt(i);
    if (unit >= 0x80) return utf8Encoder.encode(piece);
    ascii.push(unit);
  }
  return ascii;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
