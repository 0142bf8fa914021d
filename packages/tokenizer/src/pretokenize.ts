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
  const pieces: string[] = [];
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start);
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

const LETTER = 1;
const DIGIT = 2;
const SPACE = 3;
const OTHER = 4;

/** Character class of a UTF-16 code unit (NaN, past the end, gives 0). */
function classOf(unit: number): number {
  if (unit >= 0x80) return LETTER;
  if ((unit >= 0x61 && unit <= 0x7a) || (unit >= 0x41 && unit <= 0x5a)) return LETTER;
  if (unit >= 0x30 && unit <= 0x39) return DIGIT;
  if (unit === 0x20 || (unit >= 0x09 && unit <= 0x0d)) return SPACE;
  if (unit >= 0) return OTHER;
  return 0;
}

/**
 * End (exclusive) of the pre-token that starts at `start` (< text.length): a hand-written equivalent of
 * {@link PRETOKENIZE_PATTERN}, several times faster than the regex (tests hold the two together).
 */
export function pieceEnd(text: string, start: number): number {
  const length = text.length;
  const unit = text.charCodeAt(start);
  if (unit === 0x27) {
    // 's 't 'm 'd 're 've 'll
    const next = text.charCodeAt(start + 1);
    if (next === 0x73 || next === 0x74 || next === 0x6d || next === 0x64) return start + 2;
    const after = text.charCodeAt(start + 2);
    if ((next === 0x72 || next === 0x76) && after === 0x65) return start + 3;
    if (next === 0x6c && after === 0x6c) return start + 3;
  }
  let kind = classOf(unit);
  let end = start + 1;
  if (unit === 0x20) {
    const nextKind = classOf(text.charCodeAt(end));
    if (nextKind === LETTER || nextKind === DIGIT || nextKind === OTHER) {
      kind = nextKind;
      end++;
    }
  }
  if (kind === SPACE) {
    while (end < length && classOf(text.charCodeAt(end)) === SPACE) end++;
    // Leave the last whitespace unit for the next piece (" word") unless the run ends the text or is one unit.
    return end === length || end - start === 1 ? end : end - 1;
  }
  while (end < length && classOf(text.charCodeAt(end)) === kind) end++;
  return end;
}
