/**
 * `verifyEvidence`: recomputes everything the evidence claims that can be checked from the rows it cites
 * (and any other rows given) and its count table, and reports every difference. The full recount against
 * the pinned versions (token counts, the true earliest occurrence, omitted spans anywhere in the Datanet)
 * is the index's `verifyEvidenceWithIndex`.
 */
import { hexToBytes, normalizeAddress } from './bytes.js';
import {
  type CitedRow,
  citedRowTokens,
  creditKey,
  expectedWeights,
  type RuleEnvironment,
  sameWeights,
  tokensEqual,
} from './challenge.js';
import { type Evidence, evidenceProblems, spanScorer } from './evidence.js';
import { rowProofError } from './rowProof.js';
import { compareOccurrences, RowsCorpus, type SpanParams, selectSpans, type TokenRow } from './spans.js';
import type { Weight } from './weights.js';

export interface VerifyEvidenceParameters extends RuleEnvironment {
  evidence: Evidence;
  /** Rows to check against: at least each span's credited row; more rows make the check stronger. */
  rows: readonly CitedRow[];
  /** Parameters in force, when known. */
  params?: SpanParams;
  gradientSharePpm?: number;
  /** The receipt's weights, when checking a receipt. */
  receipt?: { weights: readonly Weight[]; fallbackPpm: number };
}

export interface VerifyEvidenceReport {
  ok: boolean;
  /** Every difference found, each a sentence naming the field. */
  differences: string[];
}

/** PERF: O(output · cited row tokens · match) for the selection check; rows are few. */
export function verifyEvidence(p: VerifyEvidenceParameters): VerifyEvidenceReport {
  const e = p.evidence;
  const differences: string[] = evidenceProblems(e);
  const diff = (m: string) => differences.push(m);
  if (differences.length > 0) return { ok: false, differences };
  const params = p.params ?? e.params;
  if (
    params.minSpanTokens !== e.params.minSpanTokens ||
    params.maxSpans !== e.params.maxSpans ||
    params.maxAttributed !== e.params.maxAttributed
  ) {
    diff('params differ from those in force');
  }
  const want = expectedWeights(e, params, p.gradientSharePpm ?? 0);
  if (!sameWeights(want, e)) {
    diff(
      `weights: evidence has ${fmt(e.weights)} + fallback ${e.fallbackPpm}, the rule gives ${fmt(want.weights)} + fallback ${want.fallbackPpm}`,
    );
  }
  if (p.receipt !== undefined && !sameWeights(want, p.receipt)) {
    diff(
      `receipt weights ${fmt(p.receipt.weights)} + fallback ${p.receipt.fallbackPpm} differ from the rule`,
    );
  }

  // cited rows: proofs and tokens
  const valid: { row: CitedRow; tokens: ArrayLike<number> }[] = [];
  for (const row of p.rows) {
    const r = citedRowTokens(row, e, p);
    if ('error' in r) diff(r.error);
    else valid.push({ row, tokens: r.tokens });
  }
  const find = (datanet: string, rowIndex: bigint) =>
    valid.find((v) => v.row.datanet === datanet && v.row.rowIndex === rowIndex);

  e.spans.forEach((s, i) => {
    const at = `spans[${i}]`;
    const cited = find(s.datanet, s.rowIndex);
    if (cited === undefined) {
      diff(
        `${at}: its row ${s.datanet}#${s.rowIndex} was not given (with a valid proof), so it is unchecked`,
      );
      return;
    }
    const pinned = e.datanetVersions.find((d) => d.id === s.datanet)!;
    const err = rowProofError({
      row: cited.row.row,
      rowIndex: s.rowIndex,
      proof: s.rowProof,
      version: pinned.version,
      versionRoot: hexToBytes(pinned.root, 32),
    });
    if (err !== null) diff(`${at}: the evidence's row proof fails: ${err}`);
    if (s.rowOffset + s.length > cited.tokens.length) {
      diff(`${at}: ends at row token ${s.rowOffset + s.length}, the row has ${cited.tokens.length}`);
    } else if (!tokensEqual(cited.tokens, s.rowOffset, e.outputTokenIds, s.outputOffset, s.length)) {
      diff(`${at}: row tokens at ${s.rowOffset} differ from the output at ${s.outputOffset}`);
    }
    // earliest occurrence among the rows given
    const credited = creditKey(s, p);
    for (const v of valid) {
      const other = {
        approvalHeight: p.approvalHeight(v.row.datanet, v.row.proof.contributionVersion),
        datanet: v.row.datanet,
        rowIndex: v.row.rowIndex,
        rowOffset: 0,
        contributor: normalizeAddress(v.row.proof.contributor),
      };
      if (compareOccurrences(other, { ...credited, rowOffset: 0 }) >= 0) continue;
      for (let off = 0; off + s.length <= v.tokens.length; off++) {
        if (tokensEqual(v.tokens, off, e.outputTokenIds, s.outputOffset, s.length)) {
          diff(`${at}: occurs in ${v.row.datanet}#${v.row.rowIndex}, which precedes the credited row`);
          break;
        }
      }
    }
  });

  // greedy selection over the candidates the given rows prove, plus the kept spans, must keep exactly them
  const tokenRows: TokenRow[] = valid.map((v) => ({
    tokens: v.tokens,
    datanet: v.row.datanet,
    rowIndex: v.row.rowIndex,
    approvalHeight: 0n,
    contributor: normalizeAddress(v.row.proof.contributor),
  }));
  const ml = new RowsCorpus(tokenRows).matchLengths(e.outputTokenIds);
  for (const s of e.spans) ml[s.outputOffset] = Math.max(ml[s.outputOffset]!, s.length);
  const score = spanScorer(e);
  const scores = e.outputTokenIds.map((_, i) => score(i, 1));
  const chosen = selectSpans(scores, ml, params);
  const same =
    chosen.length === e.spans.length &&
    chosen.every((c, i) => c.outputOffset === e.spans[i]!.outputOffset && c.length === e.spans[i]!.length);
  if (!same) {
    diff(
      `spans: the greedy selection over the given rows keeps ${chosen.map((c) => `[${c.outputOffset},+${c.length})`).join(' ')}, the evidence keeps ${e.spans.map((c) => `[${c.outputOffset},+${c.length})`).join(' ')}`,
    );
  }
  return { ok: differences.length === 0, differences };
}

function fmt(ws: readonly Weight[]): string {
  return `[${ws.map(([a, p]) => `${a}:${p}`).join(', ')}]`;
}
