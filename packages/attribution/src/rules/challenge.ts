/**
 * Bounded fraud proofs against a receipt's evidence (DESIGN §4.7 challenges (a)–(e)), as pure functions
 * the chain calls with the evidence, the rows the challenge cites (each with its row proof) and the
 * parameters kept with the receipt. The chain tokenises the rows itself (`tokenize`) and knows each
 * version's approval height (`approvalHeight`).
 */
import { type Hex, hexToBytes, normalizeAddress } from './bytes.js';
import { type Evidence, type EvidenceSpan, evidenceProblems, spanScorer } from './evidence.js';
import { type RowProof, rowProofError } from './rowProof.js';
import { MAX_ROW_BYTES } from './rows.js';
import {
  type Candidate,
  compareOccurrences,
  creditSpans,
  greedySelect,
  type Occurrence,
  type SpanParams,
} from './spans.js';
import { computeWeights, type Weight, type Weights } from './weights.js';

/** A Datanet row cited by a challenge or a verification, with its proof to the pinned version. */
export interface CitedRow {
  datanet: Hex;
  /** Global row index in the Datanet. */
  rowIndex: bigint;
  /** The row's exact UTF-8 bytes (≤ 2,048). */
  row: Uint8Array;
  proof: RowProof;
}

export interface RuleEnvironment {
  /** The pinned tokenizer (the chain's own). */
  tokenize(text: string): ArrayLike<number>;
  /** Block height at which `contributionVersion` of `datanet` was approved. */
  approvalHeight(datanet: Hex, contributionVersion: bigint): bigint;
}

export interface ChallengeContext extends RuleEnvironment {
  evidence: Evidence;
  /** The receipt's own weights and fallbackPpm. */
  receipt: { weights: readonly Weight[]; fallbackPpm: number };
  /** Parameters in force at the settling block (kept with the receipt). */
  params: SpanParams;
  gradientSharePpm: number;
}

export type ChallengeClaim =
  /** The cited (credited) row's tokens at rowOffset differ from the output tokens at the span's offset. */
  | { condition: 'a'; span: number; row: CitedRow }
  /** The span is not in the claimed row: beyond its end, or the evidence's row proof fails for that row. */
  | { condition: 'b'; span: number; row: CitedRow }
  /** Weights or fallbackPpm differ from the rule for the evidence's spans and counts (or from the receipt). */
  | { condition: 'c' }
  /** An omitted interval occurring in the cited row changes the greedy selection. */
  | { condition: 'd'; outputOffset: number; length: number; row: CitedRow; rowOffset: number }
  /** A kept span occurs in a cited row preceding the credited one. */
  | { condition: 'e'; span: number; row: CitedRow; rowOffset: number };

export type ChallengeCondition = ChallengeClaim['condition'];

export interface ChallengeResult {
  proven: boolean;
  condition: ChallengeCondition;
  /** Why it was proven or why the challenge fails — for the challenger and the explorer. */
  reason: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Checks a cited row: size, UTF-8, pinned Datanet, row proof. Returns its tokens or the reason it fails. */
export function citedRowTokens(
  row: CitedRow,
  evidence: Evidence,
  env: RuleEnvironment,
): { tokens: ArrayLike<number> } | { error: string } {
  if (row.row.length === 0 || row.row.length > MAX_ROW_BYTES) {
    return { error: `cited row ${row.rowIndex} has ${row.row.length} bytes; a row has 1..${MAX_ROW_BYTES}` };
  }
  const pinned = evidence.datanetVersions.find((d) => d.id === row.datanet);
  if (pinned === undefined)
    return { error: `cited row's Datanet ${row.datanet} is not pinned by the evidence` };
  const err = rowProofError({
    row: row.row,
    rowIndex: row.rowIndex,
    proof: row.proof,
    version: pinned.version,
    versionRoot: hexToBytes(pinned.root, 32),
  });
  if (err !== null) return { error: `cited row ${row.rowIndex} of ${row.datanet}: ${err}` };
  let text: string;
  try {
    text = decoder.decode(row.row);
  } catch {
    return { error: `cited row ${row.rowIndex} is not valid UTF-8` };
  }
  return { tokens: env.tokenize(text) };
}

export function tokensEqual(
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  len: number,
): boolean {
  if (aOff < 0 || bOff < 0 || aOff + len > a.length || bOff + len > b.length) return false;
  for (let k = 0; k < len; k++) if (a[aOff + k] !== b[bOff + k]) return false;
  return true;
}

/** The weights the rule gives for the evidence's spans (contributors from their row proofs) and counts. */
/** @internal shared with verifyEvidence */
export function expectedWeights(e: Evidence, params: SpanParams, gradientSharePpm: number): Weights {
  const score = spanScorer(e);
  const kept: Candidate[] = e.spans.map((s) => ({
    outputOffset: s.outputOffset,
    length: s.length,
    score: score(s.outputOffset, s.length),
  }));
  const bySpan = new Map(e.spans.map((s) => [s.outputOffset, s]));
  const credited = creditSpans(e.outputTokenIds, kept, (offset) => {
    const s = bySpan.get(offset)!;
    return {
      datanet: s.datanet,
      rowIndex: s.rowIndex,
      rowOffset: s.rowOffset,
      approvalHeight: 0n,
      contributor: normalizeAddress(s.rowProof.contributor),
    };
  });
  return computeWeights(
    credited,
    params.maxAttributed,
    e.gradient === undefined ? undefined : { weights: e.gradient.weights, gradientSharePpm },
  );
}

export function sameWeights(a: Weights, b: { weights: readonly Weight[]; fallbackPpm: number }): boolean {
  return (
    a.fallbackPpm === b.fallbackPpm &&
    a.weights.length === b.weights.length &&
    a.weights.every(
      (w, i) => normalizeAddress(w[0]) === normalizeAddress(b.weights[i]![0]) && w[1] === b.weights[i]![1],
    )
  );
}

export function creditKey(s: EvidenceSpan, env: RuleEnvironment): Occurrence {
  return {
    approvalHeight: env.approvalHeight(s.datanet, s.rowProof.contributionVersion),
    datanet: s.datanet,
    rowIndex: s.rowIndex,
    rowOffset: s.rowOffset,
    contributor: s.rowProof.contributor,
  };
}

/**
 * Checks one challenge. A malformed evidence (wrong orders, sums, scores against its own counts, …) is a
 * false receipt by itself and proves any claim. Otherwise the claimed condition is checked; a claim whose
 * own inputs do not hold (bad row proof, span index out of range, …) is not proven, with the reason.
 *
 * Gas: O(cited row bytes + output tokens + spans²) and O(log) hashes per row proof.
 */
export function checkChallenge(claim: ChallengeClaim, ctx: ChallengeContext): ChallengeResult {
  const e = ctx.evidence;
  const result = (proven: boolean, reason: string): ChallengeResult => ({
    proven,
    condition: claim.condition,
    reason,
  });
  const problems = evidenceProblems(e);
  if (problems.length > 0) return result(true, `evidence is malformed: ${problems.join('; ')}`);

  const spanAt = (i: number): EvidenceSpan | null =>
    Number.isInteger(i) && i >= 0 && i < e.spans.length ? e.spans[i]! : null;

  switch (claim.condition) {
    case 'a':
    case 'b': {
      const s = spanAt(claim.span);
      if (s === null)
        return result(false, `span ${claim.span} does not exist (the evidence has ${e.spans.length})`);
      if (claim.row.datanet !== s.datanet || claim.row.rowIndex !== s.rowIndex) {
        return result(
          false,
          `the cited row is ${claim.row.datanet}#${claim.row.rowIndex}, not the span's row ${s.datanet}#${s.rowIndex}`,
        );
      }
      const cited = citedRowTokens(claim.row, e, ctx);
      if ('error' in cited) return result(false, cited.error);
      const inRow = s.rowOffset + s.length <= cited.tokens.length;
      if (claim.condition === 'b') {
        if (!inRow)
          return result(
            true,
            `span ${claim.span} ends at token ${s.rowOffset + s.length} but the row has ${cited.tokens.length}`,
          );
        const pinned = e.datanetVersions.find((d) => d.id === s.datanet)!;
        const err = rowProofError({
          row: claim.row.row,
          rowIndex: s.rowIndex,
          proof: s.rowProof,
          version: pinned.version,
          versionRoot: hexToBytes(pinned.root, 32),
        });
        if (err !== null)
          return result(
            true,
            `the evidence's row proof for span ${claim.span} fails for the real row: ${err}`,
          );
        return result(false, `span ${claim.span} lies within its row and its row proof holds`);
      }
      if (!inRow) return result(false, 'the span is beyond the row (that is condition b)');
      if (!tokensEqual(cited.tokens, s.rowOffset, e.outputTokenIds, s.outputOffset, s.length)) {
        return result(
          true,
          `span ${claim.span}: row tokens at ${s.rowOffset} differ from the output at ${s.outputOffset}`,
        );
      }
      return result(false, `span ${claim.span} equals the row's tokens`);
    }
    case 'c': {
      if (
        e.params.minSpanTokens !== ctx.params.minSpanTokens ||
        e.params.maxSpans !== ctx.params.maxSpans ||
        e.params.maxAttributed !== ctx.params.maxAttributed
      ) {
        return result(true, 'the evidence params differ from those in force at settlement');
      }
      const want = expectedWeights(e, ctx.params, ctx.gradientSharePpm);
      if (!sameWeights(want, e))
        return result(true, 'the evidence weights differ from the rule for its spans and counts');
      if (!sameWeights(want, ctx.receipt))
        return result(true, "the receipt's weights differ from the evidence's");
      return result(false, 'weights and fallbackPpm follow the rule');
    }
    case 'd': {
      const { outputOffset: o, length: len } = claim;
      if (
        !Number.isSafeInteger(o) ||
        !Number.isSafeInteger(len) ||
        o < 0 ||
        o + len > e.outputTokenIds.length
      ) {
        return result(false, `interval [${o}, +${len}) is outside the output`);
      }
      if (len < ctx.params.minSpanTokens)
        return result(false, `interval of ${len} tokens is below minSpanTokens`);
      const cited = citedRowTokens(claim.row, e, ctx);
      if ('error' in cited) return result(false, cited.error);
      if (!tokensEqual(cited.tokens, claim.rowOffset, e.outputTokenIds, o, len)) {
        return result(false, `the interval does not occur in the cited row at ${claim.rowOffset}`);
      }
      const score = spanScorer(e);
      const kept: Candidate[] = e.spans.map((s) => ({
        outputOffset: s.outputOffset,
        length: s.length,
        score: s.score,
      }));
      const chosen = greedySelect(
        [...kept, { outputOffset: o, length: len, score: score(o, len) }],
        ctx.params.maxSpans,
      );
      const same =
        chosen.length === kept.length &&
        chosen.every((c, i) => c.outputOffset === kept[i]!.outputOffset && c.length === kept[i]!.length);
      return same
        ? result(false, 'adding the interval leaves the greedy selection unchanged')
        : result(true, `adding [${o}, +${len}) makes the greedy selection choose a different set`);
    }
    case 'e': {
      const s = spanAt(claim.span);
      if (s === null)
        return result(false, `span ${claim.span} does not exist (the evidence has ${e.spans.length})`);
      const cited = citedRowTokens(claim.row, e, ctx);
      if ('error' in cited) return result(false, cited.error);
      if (!tokensEqual(cited.tokens, claim.rowOffset, e.outputTokenIds, s.outputOffset, s.length)) {
        return result(false, `span ${claim.span} does not occur in the cited row at ${claim.rowOffset}`);
      }
      const credited = creditKey(s, ctx);
      const other: Occurrence = {
        approvalHeight: ctx.approvalHeight(claim.row.datanet, claim.row.proof.contributionVersion),
        datanet: claim.row.datanet,
        rowIndex: claim.row.rowIndex,
        rowOffset: 0,
        contributor: claim.row.proof.contributor,
      };
      const rowOrder = compareOccurrences({ ...other, rowOffset: 0 }, { ...credited, rowOffset: 0 });
      return rowOrder < 0
        ? result(
            true,
            `span ${claim.span} occurs in ${claim.row.datanet}#${claim.row.rowIndex}, which precedes the credited row`,
          )
        : result(false, 'the cited row does not precede the credited row');
    }
  }
}
