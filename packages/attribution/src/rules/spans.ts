/**
 * Span attribution in token-id space (DESIGN §4.7 *fixed*): candidates, integer scores, greedy selection,
 * earliest-occurrence credit and the duplicate rule. Weights are in `weights.ts`.
 */
import { compareHex, type Hex } from './bytes.js';
import { AttributionError } from './errors.js';
import { L } from './log2.js';

export interface SpanParams {
  /** Shortest candidate, in tokens. */
  minSpanTokens: number;
  /** Most spans kept. */
  maxSpans: number;
  /** Most contributors listed in the weights; the rest goes to fallbackPpm. */
  maxAttributed: number;
}

export const DEFAULT_SPAN_PARAMS: Readonly<SpanParams> = Object.freeze({
  minSpanTokens: 8,
  maxSpans: 32,
  maxAttributed: 16,
});

export function checkSpanParams(params: SpanParams): void {
  for (const key of ['minSpanTokens', 'maxSpans', 'maxAttributed'] as const) {
    const v = params[key];
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new AttributionError(
        'INVALID_ARGUMENT',
        `params.${key} must be a positive integer, got ${String(v)}`,
      );
    }
  }
}

/** Token counts over the pinned versions' rows: N = total tokens (separators excluded). */
export interface TokenCounts {
  N: bigint;
  /** count(t) ≥ 0 for any token id. */
  count(tokenId: number): bigint;
}

/**
 * score(t) = L(N) − L(count(t)) for each output position. A token with count 0 occurs in no row, so it is
 * never part of a candidate; its position gets score 0.
 */
export function tokenScores(output: ArrayLike<number>, counts: TokenCounts): bigint[] {
  const out: bigint[] = new Array(output.length);
  const memo = new Map<number, bigint>();
  const ln = counts.N >= 1n ? L(counts.N) : 0n;
  for (let i = 0; i < output.length; i++) {
    const t = output[i]!;
    let s = memo.get(t);
    if (s === undefined) {
      const c = counts.count(t);
      if (c > counts.N) {
        throw new AttributionError('INVALID_ARGUMENT', `count(${t}) = ${c} exceeds N = ${counts.N}`);
      }
      s = c >= 1n ? ln - L(c) : 0n;
      memo.set(t, s);
    }
    out[i] = s;
  }
  return out;
}

/** An output interval with its score (the sum of its tokens' scores). */
export interface Candidate {
  outputOffset: number;
  length: number;
  score: bigint;
}

/** Candidate order: score desc, outputOffset asc, length desc. Negative when a comes first. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.score !== b.score) return a.score > b.score ? -1 : 1;
  if (a.outputOffset !== b.outputOffset) return a.outputOffset - b.outputOffset;
  return b.length - a.length;
}

function overlaps(
  a: { outputOffset: number; length: number },
  b: { outputOffset: number; length: number },
): boolean {
  return a.outputOffset < b.outputOffset + b.length && b.outputOffset < a.outputOffset + a.length;
}

/**
 * Greedy selection over an explicit candidate list (the reference form of the rule, also used by
 * challenge (d)): sort, take greedily, drop a candidate that overlaps a kept one, stop at maxSpans.
 * Returns the kept spans ordered by outputOffset.
 */
export function greedySelect(candidates: readonly Candidate[], maxSpans: number): Candidate[] {
  const sorted = candidates.slice().sort(compareCandidates);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.length >= maxSpans) break;
    if (kept.some((k) => overlaps(k, c))) continue;
    kept.push(c);
  }
  return kept.sort((a, b) => a.outputOffset - b.outputOffset);
}

/**
 * Fast greedy selection from match lengths: `matchLengths[i]` is the longest prefix of output[i..] that
 * occurs in some pinned row. Scores are non-negative, so among the candidates starting at i that fit in
 * the free gap, the longest one dominates (higher or equal score, then length desc); the greedy order is
 * therefore the same as over the full candidate list.
 *
 * PERF: O(maxSpans · n) for an output of n tokens.
 */
export function selectSpans(
  scores: readonly bigint[],
  matchLengths: ArrayLike<number>,
  params: Pick<SpanParams, 'minSpanTokens' | 'maxSpans'>,
): Candidate[] {
  const n = scores.length;
  if (matchLengths.length !== n)
    throw new AttributionError('INVALID_ARGUMENT', 'one match length per output token');
  const prefix: bigint[] = new Array(n + 1);
  prefix[0] = 0n;
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + scores[i]!;
  // blockedUntil[i]: position where the next kept span starts at or after i (n if none); kept positions = -1
  const taken = new Uint8Array(n);
  const kept: Candidate[] = [];
  while (kept.length < params.maxSpans) {
    let best: Candidate | null = null;
    let gapEnd = n;
    for (let i = n - 1; i >= 0; i--) {
      if (taken[i]) {
        gapEnd = i;
        continue;
      }
      const end = Math.min(gapEnd, i + matchLengths[i]!);
      const length = end - i;
      if (length < params.minSpanTokens) continue;
      const c: Candidate = { outputOffset: i, length, score: prefix[end]! - prefix[i]! };
      if (best === null || compareCandidates(c, best) <= 0) best = c;
    }
    if (best === null) break;
    kept.push(best);
    taken.fill(1, best.outputOffset, best.outputOffset + best.length);
  }
  return kept.sort((a, b) => a.outputOffset - b.outputOffset);
}

/** A row's place in the crediting order and whom it credits. */
export interface RowRef {
  datanet: Hex;
  rowIndex: bigint;
  approvalHeight: bigint;
  contributor: Hex;
}

/** An occurrence of a span: a row and the token offset in it. */
export interface Occurrence extends RowRef {
  rowOffset: number;
}

/** Crediting order: (approvalHeight, Datanet id bytes, rowIndex), lowest first; then rowOffset. */
export function compareOccurrences(a: Occurrence, b: Occurrence): number {
  if (a.approvalHeight !== b.approvalHeight) return a.approvalHeight < b.approvalHeight ? -1 : 1;
  const d = compareHex(a.datanet, b.datanet);
  if (d !== 0) return d;
  if (a.rowIndex !== b.rowIndex) return a.rowIndex < b.rowIndex ? -1 : 1;
  return a.rowOffset - b.rowOffset;
}

/** A kept span with its credit. `score` is before the duplicate rule, `credited` after it. */
export interface CreditedSpan extends Candidate, Occurrence {
  credited: bigint;
}

function sameTokens(output: ArrayLike<number>, a: Candidate, b: Candidate): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++)
    if (output[a.outputOffset + k] !== output[b.outputOffset + k]) return false;
  return true;
}

/**
 * Credits each kept span to its earliest occurrence and applies the duplicate rule: a span whose tokens
 * equal an earlier kept span (by output offset) credited to the same contributor is credited 0.
 */
export function creditSpans(
  output: ArrayLike<number>,
  kept: readonly Candidate[],
  earliest: (outputOffset: number, length: number) => Occurrence,
): CreditedSpan[] {
  const spans = kept.slice().sort((a, b) => a.outputOffset - b.outputOffset);
  const out: CreditedSpan[] = [];
  for (const c of spans) {
    const occ = earliest(c.outputOffset, c.length);
    const dup = out.some((e) => e.contributor === occ.contributor && sameTokens(output, e, c));
    out.push({ ...c, ...occ, credited: dup ? 0n : c.score });
  }
  return out;
}

/** What the span rule needs from the pinned corpus (an index or a list of rows). */
export interface SpanCorpus {
  /** For each output position, the longest prefix of output[i..] occurring in a pinned row. */
  matchLengths(output: ArrayLike<number>): ArrayLike<number>;
  /** Earliest occurrence of output[offset, offset+length) among the pinned rows. */
  earliestOccurrence(output: ArrayLike<number>, offset: number, length: number): Occurrence;
}

/** Runs the span rule: scores, greedy selection, credit and the duplicate rule. */
export function attributeSpans(
  output: ArrayLike<number>,
  corpus: SpanCorpus,
  counts: TokenCounts,
  params: Pick<SpanParams, 'minSpanTokens' | 'maxSpans'>,
): CreditedSpan[] {
  const scores = tokenScores(output, counts);
  const kept = selectSpans(scores, corpus.matchLengths(output), params);
  return creditSpans(output, kept, (o, l) => corpus.earliestOccurrence(output, o, l));
}

/** A pinned row in token-id space. */
export interface TokenRow extends RowRef {
  tokens: ArrayLike<number>;
}

/**
 * A corpus over an explicit list of tokenised rows, by direct search (no index). Used by the chain for
 * challenges (a handful of cited rows) and as the reference for the index. PERF: O(n · T · match) per
 * output of n tokens over T row tokens.
 */
export class RowsCorpus implements SpanCorpus, TokenCounts {
  readonly N: bigint;
  private readonly counts = new Map<number, bigint>();
  constructor(readonly rows: readonly TokenRow[]) {
    let n = 0n;
    for (const r of rows) {
      for (let i = 0; i < r.tokens.length; i++) {
        const t = r.tokens[i]!;
        this.counts.set(t, (this.counts.get(t) ?? 0n) + 1n);
      }
      n += BigInt(r.tokens.length);
    }
    this.N = n;
  }

  count(tokenId: number): bigint {
    return this.counts.get(tokenId) ?? 0n;
  }

  matchLengths(output: ArrayLike<number>): Int32Array {
    const out = new Int32Array(output.length);
    for (let i = 0; i < output.length; i++) {
      let best = 0;
      for (const r of this.rows) {
        const t = r.tokens;
        for (let s = 0; s < t.length; s++) {
          let k = 0;
          while (i + k < output.length && s + k < t.length && t[s + k] === output[i + k]) k++;
          if (k > best) best = k;
        }
      }
      out[i] = best;
    }
    return out;
  }

  /** Every occurrence of output[offset, offset+length) in the rows. */
  occurrences(output: ArrayLike<number>, offset: number, length: number): Occurrence[] {
    const out: Occurrence[] = [];
    for (const r of this.rows) {
      const t = r.tokens;
      for (let s = 0; s + length <= t.length; s++) {
        let k = 0;
        while (k < length && t[s + k] === output[offset + k]) k++;
        if (k === length) {
          out.push({
            datanet: r.datanet,
            rowIndex: r.rowIndex,
            approvalHeight: r.approvalHeight,
            contributor: r.contributor,
            rowOffset: s,
          });
        }
      }
    }
    return out;
  }

  earliestOccurrence(output: ArrayLike<number>, offset: number, length: number): Occurrence {
    const occ = this.occurrences(output, offset, length);
    if (occ.length === 0) {
      throw new AttributionError('INVALID_ARGUMENT', `span at ${offset} (+${length}) occurs in no row`);
    }
    return occ.reduce((a, b) => (compareOccurrences(b, a) < 0 ? b : a));
  }
}

/**
 * The rule written out literally (slow; for tests): enumerate every interval of ≥ minSpanTokens tokens
 * occurring in a row, score, sort and take greedily, then credit.
 */
export function attributeSpansReference(
  output: ArrayLike<number>,
  corpus: RowsCorpus,
  params: Pick<SpanParams, 'minSpanTokens' | 'maxSpans'>,
): CreditedSpan[] {
  const scores = tokenScores(output, corpus);
  const candidates: Candidate[] = [];
  for (let i = 0; i < output.length; i++) {
    for (let len = params.minSpanTokens; i + len <= output.length; len++) {
      if (corpus.occurrences(output, i, len).length === 0) continue;
      let score = 0n;
      for (let k = i; k < i + len; k++) score += scores[k]!;
      candidates.push({ outputOffset: i, length: len, score });
    }
  }
  const kept = greedySelect(candidates, params.maxSpans);
  return creditSpans(output, kept, (o, l) => corpus.earliestOccurrence(output, o, l));
}
