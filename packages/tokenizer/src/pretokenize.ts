/**
 * The pre-tokeniser `openledger-ascii-v1`: splits text into pieces before BPE, so merges never cross a
 * piece boundary. It is GPT-2's split with every Unicode class replaced by a fixed code-unit range, so
 * it gives the same pieces on every machine and every Unicode version:
 *
 * - letters: `A-Z a-z` and every UTF-16 code unit >= U+0080 (all non-ASCII text, including surrogate
 *   pairs, which therefore never split);
 * - digits: `0-9`;
 * - whitespace: TAB, LF, VT, FF, CR and SPACE only;
 * - other: everything else (ASCII punctuation and control characters).
 *
 * Pieces, tried in this order at each position (leftmost, JavaScript regex semantics, no `u` flag):
 * `'(?:s|t|re|ve|m|ll|d)` | ` ?letters+` | ` ?digits+` | ` ?other+` | `whitespace+(?!non-whitespace)`
 * | `whitespace+`. The pieces concatenate back to the input exactly.
 */
export const PRETOKENIZER_ID = 'openledger-ascii-v1';

/** The pre-tokeniser as a global regular expression (UTF-16 code units, no `u` flag). */
export const PRETOKENIZE_PATTERN =
  /'(?:s|t|re|ve|m|ll|d)| ?[A-Za-z\u0080-\uffff]+| ?[0-9]+| ?[^\t\n\v\f\r A-Za-z0-9\u0080-\uffff]+|[\t\n\v\f\r ]+(?![^\t\n\v\f\r ])|[\t\n\v\f\r ]+/g;

/**
 * Splits `text` into pre-tokens (see {@link PRETOKENIZER_ID}). The result joined with `''` equals `text`.
 *
 * PERF: linear in the length of `text`.
 */
export function pretokenize(text: string): string[] {
  const pattern = new RegExp(PRETOKENIZE_PATTERN.source, 'g');
  const pieces: string[] = [];
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) pieces.push(match[0]);
  return pieces;
}
