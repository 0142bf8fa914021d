import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { TokenizerError } from './errors.js';
import { PRETOKENIZER_ID } from './pretokenize.js';
import { BYTE_TOKEN_COUNT, DEFAULT_SPECIAL_TOKENS } from './special.js';

/** Value of the `format` field of a tokenizer file. */
export const TOKENIZER_FORMAT = 'openledger-bpe';
/** Value of the `version` field of a tokenizer file. */
export const TOKENIZER_FORMAT_VERSION = 1;
/** Largest vocabulary a file may describe (token ids must fit in 20 bits). */
export const MAX_VOCAB_SIZE = 1 << 20;

/** A special token and its id. */
export interface SpecialToken {
  readonly id: number;
  readonly text: string;
}

/**
 * The content of a tokenizer file. Ids `0..255` are the bytes; ids `256..256+s-1` are the `s` special
 * tokens (the 8 fixed ones of `DEFAULT_SPECIAL_TOKENS` first); merge `i` creates id `256 + s + i` from
 * the pair `merges[i] = [left, right]`, both ids below it and neither special.
 */
export interface TokenizerFile {
  readonly format: typeof TOKENIZER_FORMAT;
  readonly version: typeof TOKENIZER_FORMAT_VERSION;
  readonly pretokenizer: typeof PRETOKENIZER_ID;
  readonly vocabSize: number;
  readonly byteTokens: typeof BYTE_TOKEN_COUNT;
  readonly specialTokens: readonly SpecialToken[];
  readonly merges: readonly (readonly [number, number])[];
}

const utf8Encoder = new TextEncoder();
const fatalUtf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Serialises a tokenizer file to its canonical text: the keys in the order of {@link TokenizerFile}, two-space
 * indentation, one special token and one merge per line, strings escaped as `JSON.stringify` does,
 * LF line ends and a final LF. The file is validated first.
 */
export function serializeTokenizerFile(file: TokenizerFile): string {
  validateTokenizerFile(file);
  const lines: string[] = [];
  lines.push('{');
  lines.push(`  "format": ${JSON.stringify(file.format)},`);
  lines.push(`  "version": ${file.version},`);
  lines.push(`  "pretokenizer": ${JSON.stringify(file.pretokenizer)},`);
  lines.push(`  "vocabSize": ${file.vocabSize},`);
  lines.push(`  "byteTokens": ${file.byteTokens},`);
  lines.push(`  "specialTokens": [`);
  file.specialTokens.forEach((token, index) => {
    const comma = index + 1 < file.specialTokens.length ? ',' : '';
    lines.push(`    { "id": ${token.id}, "text": ${JSON.stringify(token.text)} }${comma}`);
  });
  lines.push('  ],');
  if (file.merges.length === 0) {
    lines.push('  "merges": []');
  } else {
    lines.push('  "merges": [');
    const last = file.merges.length - 1;
    file.merges.forEach(([left, right], index) => {
      lines.push(`    [${left}, ${right}]${index < last ? ',' : ''}`);
    });
    lines.push('  ]');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** The canonical bytes of a tokenizer file (UTF-8 of {@link serializeTokenizerFile}). */
export function tokenizerFileBytes(file: TokenizerFile): Uint8Array {
  return utf8Encoder.encode(serializeTokenizerFile(file));
}

/** Lowercase hex sha256 of the canonical bytes: the identity of a vocabulary (DESIGN §4.7, §5). */
export function hashTokenizerFile(file: TokenizerFile): string {
  return bytesToHex(sha256(tokenizerFileBytes(file)));
}

/**
 * Parses and validates a tokenizer file given as bytes or text, and checks that it is in canonical form
 * (re-serialising it gives the same bytes). Throws a {@link TokenizerError} naming what is wrong.
 */
export function parseTokenizerFile(input: Uint8Array | string): TokenizerFile {
  const bytes = typeof input === 'string' ? utf8Encoder.encode(input) : input;
  let text: string;
  try {
    text = fatalUtf8Decoder.decode(bytes);
  } catch {
    throw new TokenizerError(
      'TOKENIZER_FILE_INVALID_UTF8',
      'The tokenizer file is not valid UTF-8; it is corrupt or not a tokenizer file.',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TokenizerError(
      'TOKENIZER_FILE_INVALID_JSON',
      'The tokenizer file is not valid JSON; it is corrupt or truncated.',
      error instanceof Error ? error.message : String(error),
    );
  }
  const file = readTokenizerFile(raw);
  const canonical = tokenizerFileBytes(file);
  if (!bytesEqual(canonical, bytes)) {
    const offset = firstDifference(canonical, bytes);
    throw new TokenizerError(
      'TOKENIZER_FILE_NOT_CANONICAL',
      'The tokenizer file is valid but not in canonical form, so its hash would not identify its vocabulary. ' +
        'Re-serialise it with serializeTokenizerFile() (do not edit or reformat the file by hand).',
      `first differing byte at offset ${offset} (file has ${bytes.length} bytes, canonical form ${canonical.length})`,
    );
  }
  return file;
}

/** Checks the structure of a parsed JSON value and returns it as a {@link TokenizerFile}. */
function readTokenizerFile(raw: unknown): TokenizerFile {
  if (!isPlainObject(raw)) invalid('the top level must be a JSON object');
  const expectedKeys = [
    'format',
    'version',
    'pretokenizer',
    'vocabSize',
    'byteTokens',
    'specialTokens',
    'merges',
  ];
  const keys = Object.keys(raw);
  if (keys.length !== expectedKeys.length || expectedKeys.some((key, index) => keys[index] !== key)) {
    invalid(`expected the keys ${expectedKeys.join(', ')} in this order, found ${keys.join(', ') || 'none'}`);
  }
  if (!Array.isArray(raw.specialTokens)) invalid('"specialTokens" must be an array');
  if (!Array.isArray(raw.merges)) invalid('"merges" must be an array');
  const specialTokens = raw.specialTokens.map((token: unknown, index: number): SpecialToken => {
    if (!isPlainObject(token) || typeof token.text !== 'string' || typeof token.id !== 'number') {
      invalid(`specialTokens[${index}] must be an object { "id": number, "text": string }`);
    }
    const tokenKeys = Object.keys(token);
    if (tokenKeys.length !== 2 || tokenKeys[0] !== 'id' || tokenKeys[1] !== 'text') {
      invalid(`specialTokens[${index}] must have exactly the keys id, text in this order`);
    }
    return { id: token.id, text: token.text };
  });
  const merges = raw.merges.map((pair: unknown, index: number): [number, number] => {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'number' ||
      typeof pair[1] !== 'number'
    ) {
      invalid(`merges[${index}] must be a pair of token ids [left, right]`);
    }
    return [pair[0], pair[1]];
  });
  const file = {
    format: raw.format,
    version: raw.version,
    pretokenizer: raw.pretokenizer,
    vocabSize: raw.vocabSize,
    byteTokens: raw.byteTokens,
    specialTokens,
    merges,
  } as TokenizerFile;
  validateTokenizerFile(file);
  return file;
}

/**
 * Checks every rule of the file format (see {@link TokenizerFile}); throws `TOKENIZER_FILE_INVALID`.
 *
 * PERF: linear in the number of merges.
 */
export function validateTokenizerFile(file: TokenizerFile): void {
  if (file.format !== TOKENIZER_FORMAT) invalid(`"format" must be "${TOKENIZER_FORMAT}"`);
  if (file.version !== TOKENIZER_FORMAT_VERSION) {
    invalid(`"version" must be ${TOKENIZER_FORMAT_VERSION}; this build does not read other versions`);
  }
  if (file.pretokenizer !== PRETOKENIZER_ID) invalid(`"pretokenizer" must be "${PRETOKENIZER_ID}"`);
  if (file.byteTokens !== BYTE_TOKEN_COUNT) invalid(`"byteTokens" must be ${BYTE_TOKEN_COUNT}`);
  const specialCount = file.specialTokens.length;
  if (specialCount < DEFAULT_SPECIAL_TOKENS.length) {
    invalid(`"specialTokens" must start with the ${DEFAULT_SPECIAL_TOKENS.length} fixed special tokens`);
  }
  const seen = new Set<string>();
  file.specialTokens.forEach((token, index) => {
    if (token.id !== BYTE_TOKEN_COUNT + index) {
      invalid(`specialTokens[${index}] must have id ${BYTE_TOKEN_COUNT + index}, found ${token.id}`);
    }
    const fixed = DEFAULT_SPECIAL_TOKENS[index];
    if (fixed !== undefined && token.text !== fixed) {
      invalid(
        `specialTokens[${index}] must be the fixed token ${fixed}, found ${JSON.stringify(token.text)}`,
      );
    }
    if (typeof token.text !== 'string' || token.text.length === 0) {
      invalid(`specialTokens[${index}] must have a non-empty text`);
    }
    if (!isWellFormed(token.text)) invalid(`specialTokens[${index}] text contains a lone surrogate`);
    if (seen.has(token.text)) invalid(`special token ${JSON.stringify(token.text)} appears twice`);
    seen.add(token.text);
  });
  const firstMergeId = BYTE_TOKEN_COUNT + specialCount;
  const expectedVocab = firstMergeId + file.merges.length;
  if (!Number.isSafeInteger(file.vocabSize) || file.vocabSize !== expectedVocab) {
    invalid(
      `"vocabSize" must equal 256 + special tokens + merges = ${expectedVocab}, found ${String(file.vocabSize)}`,
    );
  }
  if (expectedVocab > MAX_VOCAB_SIZE) invalid(`vocabulary size ${expectedVocab} exceeds ${MAX_VOCAB_SIZE}`);
  const pairs = new Set<number>();
  file.merges.forEach(([left, right], index) => {
    const newId = firstMergeId + index;
    for (const part of [left, right]) {
      if (!Number.isSafeInteger(part) || part < 0 || part >= newId) {
        invalid(`merges[${index}] refers to token ${String(part)}, but only ids below ${newId} exist there`);
      }
      if (part >= BYTE_TOKEN_COUNT && part < firstMergeId) {
        invalid(`merges[${index}] uses special token ${part}; special tokens cannot be merged`);
      }
    }
    const key = left * MAX_VOCAB_SIZE + right;
    if (pairs.has(key)) invalid(`merges[${index}] repeats the pair [${left}, ${right}]`);
    pairs.add(key);
  });
}

function invalid(reason: string): never {
  throw new TokenizerError(
    'TOKENIZER_FILE_INVALID',
    `The tokenizer file is not a valid ${TOKENIZER_FORMAT} v${TOKENIZER_FORMAT_VERSION} file: ${reason}.`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return false;
    }
  }
  return true;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return length;
}
