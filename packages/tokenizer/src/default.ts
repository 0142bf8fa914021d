import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from './tokenizer.js';

/** File name of the shipped vocabulary, in the package's `vocab/` folder. */
export const DEFAULT_TOKENIZER_FILE = 'openledger-bpe-4096.json';

/** Hash of the shipped vocabulary `vocab/openledger-bpe-4096.json` (lowercase hex sha256 of its bytes). */
export const DEFAULT_TOKENIZER_HASH = '4b8edc334f7899246e341e18a870994b3b1dbdaa010faf8c252be221533e541f';

/** Absolute path of the shipped vocabulary file. */
export function defaultTokenizerPath(): string {
  return fileURLToPath(new URL(`../vocab/${DEFAULT_TOKENIZER_FILE}`, import.meta.url));
}

let cached: Tokenizer | undefined;

/**
 * Loads the shipped 4,096-token vocabulary (trained by `scripts/train-tokenizer.mjs` on `data/`), checking
 * its hash against {@link DEFAULT_TOKENIZER_HASH}. The instance is cached.
 */
export function loadDefaultTokenizer(): Tokenizer {
  cached ??= Tokenizer.fromFile(readFileSync(defaultTokenizerPath()), {
    expectedHash: DEFAULT_TOKENIZER_HASH,
  });
  return cached;
}
