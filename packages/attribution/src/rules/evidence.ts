/**
 * The attribution evidence (DESIGN §4.7): its shape, its canonical encoding with core's codec (structs
 * as lists in field order), its hash, and the structural checks every reader applies before using it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import {
  decode,
  encode,
  readBigint,
  readBytes,
  readList,
  readNumber,
  readString,
  type Value,
} from '@openledger/core';
import { bytesToHex, compareHex, type Hex, hexToBytes } from './bytes.js';
import { AttributionError } from './errors.js';
import type { RowProof } from './rowProof.js';
import { checkSpanParams, type SpanParams, tokenScores } from './spans.js';
import { compareWeights, PPM, type Weight } from './weights.js';

export interface EvidenceDatanetVersion {
  /** bytes32 Datanet id. */
  id: Hex;
  /** Pinned version (≥ 1). */
  version: bigint;
  /** Root of that version's tree. */
  root: Hex;
}

export interface EvidenceSpan {
  outputOffset: number;
  length: number;
  /** bytes32 Datanet id of the credited (earliest) row. */
  datanet: Hex;
  /** Global row index of the credited row in its Datanet. */
  rowIndex: bigint;
  /** Token offset of the span in the credited row. */
  rowOffset: number;
  /** Row → rowsRoot → pinned version root. */
  rowProof: RowProof;
  /** The span's score before the duplicate rule. */
  score: bigint;
}

/** The off-consensus gradient-influence signal (DESIGN §4.7), taken as given by challenge (c). */
export interface EvidenceGradient {
  /** Method name, e.g. "logra-int8-v1". */
  method: string;
  /** The canonical encoding of the method's inputs (adapter hash, projection seed, …), opaque here. */
  inputs: Uint8Array;
  /** Per-contributor gradient weights in ppm, ordered by (ppm desc, address asc). */
  weights: Weight[];
}

export interface Evidence {
  /** bytes32 hash of the pinned tokenizer's canonical file. */
  tokenizerHash: Hex;
  /** bytes32 id of the model version. */
  modelVersion: Hex;
  /** Sorted by id, each id once. */
  datanetVersions: EvidenceDatanetVersion[];
  outputTokenIds: number[];
  counts: {
    /** Total tokens of the pinned versions' rows (separators excluded). */
    N: bigint;
    /** [id, count] for every distinct output token id, sorted by id. */
    tokens: [id: number, count: bigint][];
  };
  /** The kept spans, sorted by outputOffset. */
  spans: EvidenceSpan[];
  params: SpanParams;
  /** [address, ppm] ordered by (ppm desc, address asc). */
  weights: Weight[];
  fallbackPpm: number;
  gradient?: EvidenceGradient | undefined;
}

const u = (n: number | bigint): bigint => BigInt(n);

function rowProofToValue(p: RowProof): Value {
  return [
    hexToBytes(p.contributor, 20),
    p.contributionVersion,
    p.firstRow,
    p.rowCount,
    p.rowPath.slice(),
    p.versionPath.slice(),
  ];
}

function weightsToValue(ws: readonly Weight[]): Value {
  return ws.map(([a, p]) => [hexToBytes(a, 20), u(p)]);
}

/** The evidence as a codec value: every struct a list of its fields in the DESIGN's order. */
export function evidenceToValue(e: Evidence): Value {
  return [
    hexToBytes(e.tokenizerHash, 32),
    hexToBytes(e.modelVersion, 32),
    e.datanetVersions.map((d) => [hexToBytes(d.id, 32), d.version, hexToBytes(d.root, 32)]),
    e.outputTokenIds.map(u),
    [e.counts.N, e.counts.tokens.map(([id, c]) => [u(id), c])],
    e.spans.map((s) => [
      u(s.outputOffset),
      u(s.length),
      hexToBytes(s.datanet, 32),
      s.rowIndex,
      u(s.rowOffset),
      rowProofToValue(s.rowProof),
      s.score,
    ]),
    [u(e.params.minSpanTokens), u(e.params.maxSpans), u(e.params.maxAttributed)],
    weightsToValue(e.weights),
    u(e.fallbackPpm),
    e.gradient === undefined
      ? null
      : [e.gradient.method, e.gradient.inputs, weightsToValue(e.gradient.weights)],
  ];
}

const hex = (b: Uint8Array): Hex => bytesToHex(b);

function weightsFromValue(v: Value | undefined, path: string): Weight[] {
  return readList(v, path).map((w, i) => {
    const [a, p] = readList(w, `${path}[${i}]`, 2);
    return [hex(readBytes(a, `${path}[${i}].address`, 20)), readNumber(p, `${path}[${i}].ppm`)] as const;
  });
}

function bytes32List(v: Value | undefined, path: string): Uint8Array[] {
  return readList(v, path).map((x, i) => readBytes(x, `${path}[${i}]`, 32));
}

/** Reads an evidence value back; throws `INVALID_EVIDENCE` naming the field when the shape is wrong. */
export function evidenceFromValue(value: Value): Evidence {
  try {
    const f = readList(value, 'evidence', 10);
    const counts = readList(f[4], 'counts', 2);
    const params = readList(f[6], 'params', 3);
    const e: Evidence = {
      tokenizerHash: hex(readBytes(f[0], 'tokenizerHash', 32)),
      modelVersion: hex(readBytes(f[1], 'modelVersion', 32)),
      datanetVersions: readList(f[2], 'datanetVersions').map((d, i) => {
        const [id, version, root] = readList(d, `datanetVersions[${i}]`, 3);
        return {
          id: hex(readBytes(id, `datanetVersions[${i}].id`, 32)),
          version: readBigint(version, `datanetVersions[${i}].version`),
          root: hex(readBytes(root, `datanetVersions[${i}].root`, 32)),
        };
      }),
      outputTokenIds: readList(f[3], 'outputTokenIds').map((t, i) => readNumber(t, `outputTokenIds[${i}]`)),
      counts: {
        N: readBigint(counts[0], 'counts.N'),
        tokens: readList(counts[1], 'counts.tokens').map((t, i) => {
          const [id, c] = readList(t, `counts.tokens[${i}]`, 2);
          return [readNumber(id, `counts.tokens[${i}].id`), readBigint(c, `counts.tokens[${i}].count`)];
        }),
      },
      spans: readList(f[5], 'spans').map((s, i) => {
        const p = `spans[${i}]`;
        const [outputOffset, length, datanet, rowIndex, rowOffset, proof, score] = readList(s, p, 7);
        const [contributor, cv, firstRow, rowCount, rowPath, versionPath] = readList(
          proof,
          `${p}.rowProof`,
          6,
        );
        return {
          outputOffset: readNumber(outputOffset, `${p}.outputOffset`),
          length: readNumber(length, `${p}.length`),
          datanet: hex(readBytes(datanet, `${p}.datanet`, 32)),
          rowIndex: readBigint(rowIndex, `${p}.rowIndex`),
          rowOffset: readNumber(rowOffset, `${p}.rowOffset`),
          rowProof: {
            contributor: hex(readBytes(contributor, `${p}.rowProof.contributor`, 20)),
            contributionVersion: readBigint(cv, `${p}.rowProof.contributionVersion`),
            firstRow: readBigint(firstRow, `${p}.rowProof.firstRow`),
            rowCount: readBigint(rowCount, `${p}.rowProof.rowCount`),
            rowPath: bytes32List(rowPath, `${p}.rowProof.rowPath`),
            versionPath: bytes32List(versionPath, `${p}.rowProof.versionPath`),
          },
          score: readBigint(score, `${p}.score`),
        };
      }),
      params: {
        minSpanTokens: readNumber(params[0], 'params.minSpanTokens'),
        maxSpans: readNumber(params[1], 'params.maxSpans'),
        maxAttributed: readNumber(params[2], 'params.maxAttributed'),
      },
      weights: weightsFromValue(f[7], 'weights'),
      fallbackPpm: readNumber(f[8], 'fallbackPpm'),
    };
    if (f[9] !== null) {
      const [method, inputs, weights] = readList(f[9], 'gradient', 3);
      e.gradient = {
        method: readString(method, 'gradient.method'),
        inputs: readBytes(inputs, 'gradient.inputs'),
        weights: weightsFromValue(weights, 'gradient.weights'),
      };
    }
    return e;
  } catch (cause) {
    if (cause instanceof AttributionError) throw cause;
    throw new AttributionError(
      'INVALID_EVIDENCE',
      `evidence does not have the DESIGN §4.7 shape: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

/** Canonical bytes of the evidence (stored as a blob before settlement). */
export function encodeEvidence(e: Evidence): Uint8Array {
  return encode(evidenceToValue(e));
}

/** Decodes canonical evidence bytes; throws `INVALID_EVIDENCE` on a non-canonical encoding or wrong shape. */
export function decodeEvidence(bytes: Uint8Array): Evidence {
  let v: Value;
  try {
    v = decode(bytes);
  } catch (cause) {
    throw new AttributionError(
      'INVALID_EVIDENCE',
      `evidence is not a canonical encoding: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  return evidenceFromValue(v);
}

/** The evidence hash named in the receipt: sha256 of the canonical bytes. */
export function evidenceHash(e: Evidence | Uint8Array): Uint8Array {
  return sha256(e instanceof Uint8Array ? e : encodeEvidence(e));
}

/**
 * Structural checks that need no rows: orders, uniqueness, ranges, sums, the counts table covering exactly
 * the output's token ids, scores matching the counts, spans inside the output, not overlapping, at least
 * `minSpanTokens` long, in a pinned Datanet. Returns every problem found (empty when well-formed).
 */
export function evidenceProblems(e: Evidence): string[] {
  const problems: string[] = [];
  const add = (m: string) => problems.push(m);
  try {
    checkSpanParams(e.params);
  } catch (err) {
    add((err as Error).message);
  }
  if (e.datanetVersions.length === 0)
    add('datanetVersions is empty: at least one Datanet version must be pinned');
  for (let i = 0; i < e.datanetVersions.length; i++) {
    const d = e.datanetVersions[i]!;
    if (d.version < 1n)
      add(`datanetVersions[${i}]: version ${d.version} cannot be pinned (versions start at 1)`);
    if (i > 0 && compareHex(e.datanetVersions[i - 1]!.id, d.id) >= 0) {
      add(`datanetVersions[${i}]: not sorted by id or id repeated`);
    }
  }
  const ids = [...new Set(e.outputTokenIds)].sort((a, b) => a - b);
  const table = e.counts.tokens;
  if (table.length !== ids.length || table.some(([id], i) => id !== ids[i])) {
    add('counts.tokens must list every distinct output token id once, sorted by id');
  }
  for (const [id, c] of table) {
    if (c < 0n || c > e.counts.N) add(`counts.tokens: count of ${id} is ${c}, outside 0..N (${e.counts.N})`);
  }
  const pinned = new Set(e.datanetVersions.map((d) => d.id));
  const n = e.outputTokenIds.length;
  if (e.spans.length > e.params.maxSpans)
    add(`${e.spans.length} spans, more than maxSpans ${e.params.maxSpans}`);
  let scoreOf: ((offset: number, length: number) => bigint) | null = null;
  try {
    scoreOf = spanScorer(e);
  } catch (err) {
    add((err as Error).message);
  }
  e.spans.forEach((s, i) => {
    const p = `spans[${i}]`;
    if (s.length < e.params.minSpanTokens)
      add(`${p}: length ${s.length} below minSpanTokens ${e.params.minSpanTokens}`);
    if (s.outputOffset + s.length > n)
      add(`${p}: [${s.outputOffset}, +${s.length}) is outside the ${n}-token output`);
    if (i > 0) {
      const prev = e.spans[i - 1]!;
      if (prev.outputOffset + prev.length > s.outputOffset)
        add(`${p}: overlaps or is not after spans[${i - 1}]`);
    }
    if (!pinned.has(s.datanet)) add(`${p}: Datanet ${s.datanet} is not pinned`);
    if (scoreOf !== null && s.outputOffset + s.length <= n) {
      const want = scoreOf(s.outputOffset, s.length);
      if (want !== s.score) add(`${p}: score ${s.score} but the counts give ${want}`);
    }
  });
  checkWeightList(e.weights, 'weights', add);
  if (e.weights.length > e.params.maxAttributed) add(`${e.weights.length} weights, more than maxAttributed`);
  const sum = e.weights.reduce((s, w) => s + w[1], 0) + e.fallbackPpm;
  if (!Number.isSafeInteger(e.fallbackPpm) || e.fallbackPpm < 0 || sum !== PPM) {
    add(`weights plus fallbackPpm sum to ${sum}, not ${PPM}`);
  }
  if (e.gradient !== undefined) checkWeightList(e.gradient.weights, 'gradient.weights', add);
  return problems;
}

function checkWeightList(ws: readonly Weight[], path: string, add: (m: string) => void): void {
  ws.forEach((w, i) => {
    if (!Number.isSafeInteger(w[1]) || w[1] <= 0 || w[1] > PPM)
      add(`${path}[${i}]: ppm ${w[1]} outside 1..${PPM}`);
    if (i > 0 && compareWeights(ws[i - 1]!, w) >= 0)
      add(`${path}[${i}]: not ordered by (ppm desc, address asc) or repeated`);
  });
}

/** Throws `INVALID_EVIDENCE` listing every structural problem. */
export function assertEvidenceWellFormed(e: Evidence): void {
  const problems = evidenceProblems(e);
  if (problems.length > 0) {
    throw new AttributionError('INVALID_EVIDENCE', `evidence is malformed (${problems.length} problems)`, {
      metaMessages: problems,
    });
  }
}

/** Score of output[offset, offset+length) from the evidence's count table (L(N) − L(count) per token). */
export function spanScorer(e: Evidence): (offset: number, length: number) => bigint {
  const counts = new Map<number, bigint>(e.counts.tokens);
  const scores = tokenScoresFromTable(e.outputTokenIds, counts, e.counts.N);
  const prefix: bigint[] = [0n];
  for (let i = 0; i < scores.length; i++) prefix.push(prefix[i]! + scores[i]!);
  return (offset, length) => prefix[offset + length]! - prefix[offset]!;
}

function tokenScoresFromTable(output: readonly number[], counts: Map<number, bigint>, N: bigint): bigint[] {
  return tokenScores(output, { N, count: (t) => counts.get(t) ?? 0n });
}
