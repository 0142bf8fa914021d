/**
 * Challenge messages ↔ the attribution rules' claims, and the corrected weights a proven claim gives
 * (pure: the state machine's side of DESIGN §4.7 challenges). The checks themselves are
 * `checkChallenge` of `@openledger/attribution/rules`.
 */
import {
  type Candidate,
  type ChallengeClaim,
  type CitedRow,
  computeWeights,
  creditSpans,
  type Evidence,
  greedySelect,
  type Occurrence,
  type Hex as RulesHex,
  type SpanParams,
  spanScorer,
  type Weights,
} from '@openledger/attribution/rules';
import { fromHex, type Hex, toHex } from '@openledger/core';

/** A cited row as a message carries it: the row bytes and its two-level proof, flattened. */
export type CitedRowFields = {
  datanet: Hex;
  rowIndex: bigint;
  row: Hex;
  contributor: Hex;
  contributionVersion: bigint;
  firstRow: bigint;
  rowCount: bigint;
  rowPath: Hex[];
  versionPath: Hex[];
};

/** The fields of a `ChallengeReceipt` message besides the envelope. */
export type ChallengeFields = {
  receipt: Hex;
  evidence: Hex;
  /** 'a' … 'e' (DESIGN §4.7). */
  condition: string;
  /** The evidence span the claim is about (a, b, e). */
  span: bigint;
  /** The omitted interval (d). */
  outputOffset: bigint;
  length: bigint;
  /** Token offset of the span in the cited row (d, e). */
  rowOffset: bigint;
  /** The cited row (a, b, d, e), or none (c). */
  rows: CitedRowFields[];
};

export const CITED_ROW_STRUCT = [
  { name: 'datanet', type: 'bytes32' },
  { name: 'rowIndex', type: 'uint256' },
  { name: 'row', type: 'bytes' },
  { name: 'contributor', type: 'address' },
  { name: 'contributionVersion', type: 'uint256' },
  { name: 'firstRow', type: 'uint256' },
  { name: 'rowCount', type: 'uint256' },
  { name: 'rowPath', type: 'bytes32[]' },
  { name: 'versionPath', type: 'bytes32[]' },
] as const;

export class ClaimError extends Error {}

const small = (v: bigint, name: string): number => {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ClaimError(`${name} ${v} is out of range`);
  return Number(v);
};

function citedRow(f: CitedRowFields): CitedRow {
  return {
    datanet: f.datanet.toLowerCase() as RulesHex,
    rowIndex: f.rowIndex,
    row: fromHex(f.row),
    proof: {
      contributor: f.contributor.toLowerCase() as RulesHex,
      contributionVersion: f.contributionVersion,
      firstRow: f.firstRow,
      rowCount: f.rowCount,
      rowPath: f.rowPath.map((h) => fromHex(h, 32)),
      versionPath: f.versionPath.map((h) => fromHex(h, 32)),
    },
  };
}

/** The rules' claim a message makes; throws ClaimError (a malformed proof) when its fields do not fit. */
export function claimFromFields(m: ChallengeFields): ChallengeClaim {
  const needRow = (): CitedRow => {
    if (m.rows.length !== 1)
      throw new ClaimError(`condition ${m.condition} cites exactly one row, got ${m.rows.length}`);
    return citedRow(m.rows[0]!);
  };
  switch (m.condition) {
    case 'a':
    case 'b':
      return { condition: m.condition, span: small(m.span, 'span'), row: needRow() };
    case 'c':
      if (m.rows.length !== 0) throw new ClaimError('condition c cites no rows');
      return { condition: 'c' };
    case 'd':
      return {
        condition: 'd',
        outputOffset: small(m.outputOffset, 'outputOffset'),
        length: small(m.length, 'length'),
        row: needRow(),
        rowOffset: small(m.rowOffset, 'rowOffset'),
      };
    case 'e':
      return {
        condition: 'e',
        span: small(m.span, 'span'),
        row: needRow(),
        rowOffset: small(m.rowOffset, 'rowOffset'),
      };
    default:
      throw new ClaimError(`condition must be one of a, b, c, d, e; got "${m.condition.slice(0, 16)}"`);
  }
}

/** The message fields for a claim (what `openledger attribution challenge` sends). */
export function fieldsFromClaim(receipt: Hex, evidence: Uint8Array, claim: ChallengeClaim): ChallengeFields {
  const rowFields = (r: CitedRow): CitedRowFields => ({
    datanet: r.datanet as Hex,
    rowIndex: r.rowIndex,
    row: toHex(r.row),
    contributor: r.proof.contributor as Hex,
    contributionVersion: r.proof.contributionVersion,
    firstRow: r.proof.firstRow,
    rowCount: r.proof.rowCount,
    rowPath: r.proof.rowPath.map((p) => toHex(p)),
    versionPath: r.proof.versionPath.map((p) => toHex(p)),
  });
  const base = {
    receipt,
    evidence: toHex(evidence),
    condition: claim.condition,
    span: 0n,
    outputOffset: 0n,
    length: 0n,
    rowOffset: 0n,
    rows: [] as CitedRowFields[],
  };
  switch (claim.condition) {
    case 'a':
    case 'b':
      return { ...base, span: BigInt(claim.span), rows: [rowFields(claim.row)] };
    case 'c':
      return base;
    case 'd':
      return {
        ...base,
        outputOffset: BigInt(claim.outputOffset),
        length: BigInt(claim.length),
        rowOffset: BigInt(claim.rowOffset),
        rows: [rowFields(claim.row)],
      };
    case 'e':
      return {
        ...base,
        span: BigInt(claim.span),
        rowOffset: BigInt(claim.rowOffset),
        rows: [rowFields(claim.row)],
      };
  }
}

/**
 * The weights the rule gives once a proven claim is applied to the evidence, as far as the proof
 * reaches (the chain has only the evidence and the cited row, not the index):
 * (a)/(b) the false span is dropped; (c) the evidence's spans as they are; (d) the omitted interval joins
 * the candidates and the greedy selection re-runs, the new span credited to the cited row; (e) the span
 * is credited to the earlier cited row. Contributors come from the row proofs, the duplicate rule and
 * the gradient mix apply as in the rule.
 */
export function correctedWeights(
  claim: ChallengeClaim,
  e: Evidence,
  params: SpanParams,
  gradientSharePpm: number,
  approvalHeight: (datanet: RulesHex, version: bigint) => bigint,
): Weights {
  const score = spanScorer(e);
  const occurrence = new Map<number, Occurrence>();
  let kept: Candidate[] = [];
  for (const s of e.spans) {
    kept.push({ outputOffset: s.outputOffset, length: s.length, score: score(s.outputOffset, s.length) });
    occurrence.set(s.outputOffset, {
      datanet: s.datanet,
      rowIndex: s.rowIndex,
      rowOffset: s.rowOffset,
      approvalHeight: approvalHeight(s.datanet, s.rowProof.contributionVersion),
      contributor: s.rowProof.contributor,
    });
  }
  const rowOccurrence = (row: CitedRow, rowOffset: number): Occurrence => ({
    datanet: row.datanet,
    rowIndex: row.rowIndex,
    rowOffset,
    approvalHeight: approvalHeight(row.datanet, row.proof.contributionVersion),
    contributor: row.proof.contributor,
  });
  switch (claim.condition) {
    case 'a':
    case 'b': {
      const s = e.spans[claim.span];
      if (s) kept = kept.filter((k) => k.outputOffset !== s.outputOffset);
      break;
    }
    case 'c':
      break;
    case 'd': {
      const extra = {
        outputOffset: claim.outputOffset,
        length: claim.length,
        score: score(claim.outputOffset, claim.length),
      };
      kept = greedySelect([...kept, extra], params.maxSpans);
      if (kept.some((k) => k.outputOffset === extra.outputOffset && k.length === extra.length))
        occurrence.set(extra.outputOffset, rowOccurrence(claim.row, claim.rowOffset));
      break;
    }
    case 'e': {
      const s = e.spans[claim.span];
      if (s) occurrence.set(s.outputOffset, rowOccurrence(claim.row, claim.rowOffset));
      break;
    }
  }
  const credited = creditSpans(e.outputTokenIds, kept, (offset) => occurrence.get(offset)!);
  return computeWeights(
    credited,
    params.maxAttributed,
    e.gradient === undefined ? undefined : { weights: e.gradient.weights, gradientSharePpm },
  );
}
