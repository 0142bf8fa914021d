/**
 * The attribution index of one tokenizer over any number of Datanets, and the queries the node, the
 * CLI and OpenLoRA run on it: `trace` (spans, weights and canonical evidence for an output), `verify`
 * (recompute an evidence and report every difference) and `copyReport` (for curators).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildEvidence } from '../rules/buildEvidence.js';
import { bytesToHex, compareHex, type Hex, normalizeBytes32 } from '../rules/bytes.js';
import {
  type ChallengeClaim,
  type ChallengeContext,
  type CitedRow,
  checkChallenge,
} from '../rules/challenge.js';
import { AttributionError } from '../rules/errors.js';
import {
  decodeEvidence,
  type Evidence,
  type EvidenceGradient,
  encodeEvidence,
  evidenceHash,
  evidenceProblems,
} from '../rules/evidence.js';
import { equalRowProofs, type RowProof } from '../rules/rowProof.js';
import {
  attributeSpans,
  type CreditedSpan,
  checkSpanParams,
  compareOccurrences,
  DEFAULT_SPAN_PARAMS,
  type Occurrence,
  type SpanCorpus,
  type SpanParams,
  type TokenCounts,
} from '../rules/spans.js';
import type { Weight } from '../rules/weights.js';
import { type CompactionPolicy, DatanetIndex, MAX_TOKEN_ID } from './datanetIndex.js';

/** The tokenizer the index uses (the `tokenizer` package's object fits). */
export interface IndexTokenizer {
  /** Hash of the tokenizer's canonical file (bytes32 hex). */
  hash: string;
  encode(text: string): ArrayLike<number>;
  decode?(ids: ArrayLike<number>): string;
}

export interface OpenAttributionIndexParameters {
  /** Root directory; the index lives in `<dir>/<tokenizerHash>/<datanetId>/`. */
  dir: string;
  tokenizer: IndexTokenizer;
  compaction?: CompactionPolicy;
  /** fsync every index file written (default true). */
  durable?: boolean;
}

export interface Pin {
  datanet: Hex | string;
  version: number;
}

/** Longest outputs `trace` accepts by default (tokens). */
export const DEFAULT_MAX_OUTPUT_TOKENS = 16_384;
/** Most Datanets a trace may pin (DESIGN §4 maxPinnedDatanets). */
export const DEFAULT_MAX_PINNED_DATANETS = 8;

export interface TraceParameters {
  /** The output text (tokenised with the index's tokenizer) or its token ids. */
  output: string | ArrayLike<number>;
  /** Pinned Datanet versions (at most one per Datanet). */
  pins: readonly Pin[];
  /** Span parameters in force (DESIGN §4 defaults when omitted). */
  params?: SpanParams;
  /** bytes32 id of the model version (recorded in the evidence). */
  modelVersion: Hex | string;
  gradient?: EvidenceGradient;
  gradientSharePpm?: number;
  maxOutputTokens?: number;
  maxPinnedDatanets?: number;
}

export interface TracedSpan extends CreditedSpan {
  rowProof: RowProof;
  /** The span's text when the tokenizer can decode. */
  text?: string;
}

export interface TraceResult {
  outputTokenIds: number[];
  /** For each output position, the longest match over the pinned versions (0 when none). */
  matchLengths: Int32Array;
  N: bigint;
  spans: TracedSpan[];
  weights: Weight[];
  fallbackPpm: number;
  evidence: Evidence;
  evidenceBytes: Uint8Array;
  evidenceHash: Hex;
}

export interface CopyReportParameters {
  datanet: Hex | string;
  /** Version the pending contribution is compared against (default: the latest indexed). */
  version?: number;
  /** The pending contribution's rows, as text (tokenised here) or token ids. */
  rows: readonly (string | ArrayLike<number>)[];
  /** Shortest copied span counted (DESIGN §4.4: 12 tokens). */
  minTokens?: number;
}

export interface CopiedSpan {
  /** Index of the pending row and token offset in it. */
  row: number;
  offset: number;
  length: number;
  /** The earliest accepted row holding it. */
  source: Occurrence;
}

export interface CopyReport {
  totalTokens: number;
  /** Tokens of the pending rows inside a ≥ minTokens span found in the Datanet. */
  copiedTokens: number;
  /** copiedTokens / totalTokens in ppm (floor). */
  copiedPpm: number;
  spans: CopiedSpan[];
  /** Per earlier contributor: tokens copied from their rows and those rows. */
  byContributor: { contributor: Hex; tokens: number; rows: { datanet: Hex; rowIndex: bigint }[] }[];
}

export interface FindChallengeParameters {
  /** The receipt's evidence (object or canonical bytes). */
  evidence: Evidence | Uint8Array;
  /** The row's exact bytes, from the blob store (the index keeps only tokens and hashes). */
  rowBytes: (datanet: Hex, rowIndex: bigint) => Uint8Array;
  /** The receipt's weights (default: the evidence's). */
  receipt?: { weights: readonly Weight[]; fallbackPpm: number };
  /** Parameters kept with the receipt (default: the evidence's). */
  params?: SpanParams;
  gradientSharePpm?: number;
}

export interface FoundChallenge {
  claim: ChallengeClaim;
  /** The same check the chain runs, done locally: always proven here. */
  reason: string;
}

export interface VerifyWithIndexReport {
  ok: boolean;
  differences: string[];
  /** The evidence this index computes for the same output and pins. */
  recomputed: Evidence | null;
}

export class AttributionIndex {
  readonly dir: string;
  readonly tokenizer: IndexTokenizer;
  readonly tokenizerHash: Hex;
  private readonly compaction: CompactionPolicy | undefined;
  private readonly durable: boolean;
  private readonly datanets = new Map<Hex, DatanetIndex>();

  private constructor(p: OpenAttributionIndexParameters) {
    this.tokenizer = p.tokenizer;
    this.tokenizerHash = normalizeBytes32(p.tokenizer.hash);
    this.dir = join(p.dir, this.tokenizerHash.slice(2));
    this.compaction = p.compaction;
    this.durable = p.durable ?? true;
    mkdirSync(this.dir, { recursive: true });
  }

  static open(p: OpenAttributionIndexParameters): AttributionIndex {
    return new AttributionIndex(p);
  }

  /** The index of one Datanet (opened, or created empty, on first use). */
  datanet(id: Hex | string): DatanetIndex {
    const key = normalizeBytes32(id);
    let d = this.datanets.get(key);
    if (d === undefined) {
      d = DatanetIndex.open({
        dir: join(this.dir, key.slice(2)),
        datanet: key,
        tokenizerHash: this.tokenizerHash,
        tokenize: (text) => this.tokenizer.encode(text),
        durable: this.durable,
        ...(this.compaction === undefined ? {} : { compaction: this.compaction }),
      });
      this.datanets.set(key, d);
    }
    return d;
  }

  private outputIds(output: string | ArrayLike<number>, max: number): number[] {
    const ids = typeof output === 'string' ? Array.from(this.tokenizer.encode(output)) : Array.from(output);
    if (ids.length === 0) {
      throw new AttributionError('EMPTY_OUTPUT', 'the output is empty: there is nothing to attribute', {
        metaMessages: ['An empty output credits everything to fallbackPpm; no trace is needed.'],
      });
    }
    if (ids.length > max) {
      throw new AttributionError(
        'OUTPUT_TOO_LONG',
        `the output has ${ids.length} tokens; at most ${max} can be traced`,
      );
    }
    ids.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t > MAX_TOKEN_ID) {
        throw new AttributionError('INVALID_ARGUMENT', `output token ${i} is ${t}, not a token id`);
      }
    });
    return ids;
  }

  private resolvePins(pins: readonly Pin[], max: number): { index: DatanetIndex; version: number }[] {
    if (pins.length === 0) throw new AttributionError('INVALID_ARGUMENT', 'pin at least one Datanet version');
    if (pins.length > max)
      throw new AttributionError('INVALID_ARGUMENT', `${pins.length} pinned Datanets; at most ${max}`);
    const seen = new Set<Hex>();
    return pins
      .map((p) => {
        const id = normalizeBytes32(p.datanet);
        if (seen.has(id)) throw new AttributionError('INVALID_ARGUMENT', `Datanet ${id} is pinned twice`);
        seen.add(id);
        const index = this.datanet(id);
        if (index.versionCount === 0) {
          throw new AttributionError('UNKNOWN_DATANET', `Datanet ${id} has no indexed versions`, {
            metaMessages: ['Index it with `attribution index` first.'],
          });
        }
        index.root(p.version); // throws UNKNOWN_VERSION with the indexed range
        return { index, version: p.version };
      })
      .sort((a, b) => compareHex(a.index.datanet, b.index.datanet));
  }

  /**
   * Runs DESIGN §4.7 over the pinned versions: longest matches, candidates, scores, greedy selection,
   * earliest-occurrence credit, weights, and the canonical evidence with row proofs.
   *
   * PERF: O(n · match · log N) per segment for an n-token output, then O(maxSpans · n).
   */
  trace(p: TraceParameters): TraceResult {
    const params = p.params ?? DEFAULT_SPAN_PARAMS;
    checkSpanParams(params);
    const ids = this.outputIds(p.output, p.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS);
    const pins = this.resolvePins(p.pins, p.maxPinnedDatanets ?? DEFAULT_MAX_PINNED_DATANETS);
    const symbols = Int32Array.from(ids, (t) => t + 1);
    let N = 0n;
    for (const { index, version } of pins) N += BigInt(index.tokenTotal(version));
    const counts: TokenCounts = {
      N,
      count: (t) => {
        let c = 0n;
        for (const { index, version } of pins) c += BigInt(index.count(t, version));
        return c;
      },
    };
    const matchLengths = new Int32Array(ids.length);
    for (const { index, version } of pins) index.matchLengths(symbols, version, matchLengths);
    const corpus: SpanCorpus = {
      matchLengths: () => matchLengths,
      earliestOccurrence: (_out, offset, length) => {
        let best: Occurrence | null = null;
        for (const { index, version } of pins) {
          const o = index.earliest(symbols, offset, length, version);
          if (o !== null && (best === null || compareOccurrences(o, best) < 0)) best = o;
        }
        if (best === null)
          throw new AttributionError('INDEX_STATE', `span at ${offset} (+${length}) has no occurrence`);
        return best;
      },
    };
    const credited = attributeSpans(ids, corpus, counts, params);
    const byId = new Map(pins.map((x) => [x.index.datanet, x]));
    const spans: TracedSpan[] = credited.map((s) => {
      const pin = byId.get(s.datanet)!;
      const span: TracedSpan = { ...s, rowProof: pin.index.rowProof(Number(s.rowIndex), pin.version) };
      if (this.tokenizer.decode !== undefined)
        span.text = this.tokenizer.decode(ids.slice(s.outputOffset, s.outputOffset + s.length));
      return span;
    });
    const evidence = buildEvidence({
      tokenizerHash: this.tokenizerHash,
      modelVersion: normalizeBytes32(p.modelVersion),
      datanetVersions: pins.map(({ index, version }) => ({
        id: index.datanet,
        version: BigInt(version),
        root: bytesToHex(index.root(version)),
      })),
      outputTokenIds: ids,
      counts,
      spans,
      params,
      ...(p.gradient === undefined ? {} : { gradient: p.gradient }),
      ...(p.gradientSharePpm === undefined ? {} : { gradientSharePpm: p.gradientSharePpm }),
    });
    const evidenceBytes = encodeEvidence(evidence);
    return {
      outputTokenIds: ids,
      matchLengths,
      N,
      spans,
      weights: evidence.weights,
      fallbackPpm: evidence.fallbackPpm,
      evidence,
      evidenceBytes,
      evidenceHash: bytesToHex(evidenceHash(evidenceBytes)),
    };
  }

  /**
   * The occurrences of output[offset, offset+length) in the pinned versions, in crediting order
   * (approval height, Datanet id, row index, row offset): at most `max` (default 16), and their total.
   */
  occurrences(p: {
    output: string | ArrayLike<number>;
    pins: readonly Pin[];
    offset: number;
    length: number;
    max?: number;
  }): { occurrences: Occurrence[]; total: number } {
    const ids = this.outputIds(p.output, Number.MAX_SAFE_INTEGER);
    if (
      !Number.isInteger(p.offset) ||
      !Number.isInteger(p.length) ||
      p.offset < 0 ||
      p.length < 1 ||
      p.offset + p.length > ids.length
    ) {
      throw new AttributionError(
        'INVALID_ARGUMENT',
        `[${p.offset}, +${p.length}) is not an interval of the ${ids.length}-token output`,
      );
    }
    const symbols = Int32Array.from(ids, (t) => t + 1);
    const max = p.max ?? 16;
    const all: Occurrence[] = [];
    let total = 0;
    for (const { index, version } of this.resolvePins(p.pins, Number.MAX_SAFE_INTEGER)) {
      const r = index.occurrences(symbols, p.offset, p.length, version, max);
      all.push(...r.occurrences);
      total += r.total;
    }
    return { occurrences: all.sort(compareOccurrences).slice(0, max), total };
  }

  /**
   * Recomputes an evidence (object or canonical bytes) from this index — counts, spans, credits, proofs,
   * weights — and reports every difference. The `gradient` field is taken as given.
   */
  verify(
    evidence: Evidence | Uint8Array,
    options: { params?: SpanParams; gradientSharePpm?: number } = {},
  ): VerifyWithIndexReport {
    const e = evidence instanceof Uint8Array ? decodeEvidence(evidence) : evidence;
    const differences = evidenceProblems(e);
    if (e.tokenizerHash !== this.tokenizerHash) {
      differences.push(`tokenizerHash ${e.tokenizerHash} is not this index's ${this.tokenizerHash}`);
      return { ok: false, differences, recomputed: null };
    }
    let recomputed: Evidence;
    try {
      recomputed = this.trace({
        output: e.outputTokenIds,
        pins: e.datanetVersions.map((d) => ({ datanet: d.id, version: Number(d.version) })),
        params: options.params ?? e.params,
        modelVersion: e.modelVersion,
        ...(e.gradient === undefined ? {} : { gradient: e.gradient }),
        ...(options.gradientSharePpm === undefined ? {} : { gradientSharePpm: options.gradientSharePpm }),
        maxOutputTokens: Number.MAX_SAFE_INTEGER,
        maxPinnedDatanets: Number.MAX_SAFE_INTEGER,
      }).evidence;
    } catch (err) {
      differences.push(`cannot recompute: ${(err as Error).message}`);
      return { ok: false, differences, recomputed: null };
    }
    differences.push(...diffEvidence(e, recomputed));
    return { ok: differences.length === 0, differences, recomputed };
  }

  /**
   * Looks for a challenge the chain would accept against an evidence: recomputes it from this index and
   * turns the first difference into a claim (a)–(e), checked locally with the chain's own
   * `checkChallenge`. Returns null when the evidence holds (or when no single claim proves what differs,
   * e.g. only the count table is wrong — that goes to a penalty proposal).
   */
  findChallenge(p: FindChallengeParameters): FoundChallenge | null {
    const e = p.evidence instanceof Uint8Array ? decodeEvidence(p.evidence) : p.evidence;
    const params = p.params ?? e.params;
    const ctx: ChallengeContext = {
      evidence: e,
      receipt: p.receipt ?? { weights: e.weights, fallbackPpm: e.fallbackPpm },
      params,
      gradientSharePpm: p.gradientSharePpm ?? 0,
      tokenize: (text) => this.tokenizer.encode(text),
      approvalHeight: (datanet, version) => this.datanet(datanet).approvalHeight(Number(version)),
    };
    const attempt = (claim: ChallengeClaim): FoundChallenge | null => {
      const r = checkChallenge(claim, ctx);
      return r.proven ? { claim, reason: r.reason } : null;
    };
    const c = attempt({ condition: 'c' });
    if (c !== null) return c;
    const pinOf = new Map(e.datanetVersions.map((d) => [d.id, Number(d.version)]));
    const cite = (datanet: Hex, rowIndex: bigint): CitedRow | null => {
      const version = pinOf.get(datanet);
      const index = this.datanet(datanet);
      if (version === undefined || rowIndex < 0n || rowIndex >= BigInt(index.rowCount(version))) return null;
      return {
        datanet,
        rowIndex,
        row: p.rowBytes(datanet, rowIndex),
        proof: index.rowProof(Number(rowIndex), version),
      };
    };
    const symbols = Int32Array.from(e.outputTokenIds, (t) => t + 1);
    for (const [i, s] of e.spans.entries()) {
      const row = cite(s.datanet, s.rowIndex);
      if (row === null) continue;
      const tokens = this.datanet(s.datanet).rowTokens(Number(s.rowIndex));
      const inRow = s.rowOffset + s.length <= tokens.length;
      const differs =
        !inRow ||
        tokens
          .subarray(s.rowOffset, s.rowOffset + s.length)
          .some((t, k) => t !== e.outputTokenIds[s.outputOffset + k]);
      if (!inRow || !equalRowProofs(s.rowProof, row.proof)) {
        const found = attempt({ condition: 'b', span: i, row });
        if (found !== null) return found;
      }
      if (differs) {
        const found = attempt({ condition: 'a', span: i, row });
        if (found !== null) return found;
      }
      // an earlier occurrence of the span's tokens
      let best: Occurrence | null = null;
      for (const [datanet, version] of pinOf) {
        const o = this.datanet(datanet).earliest(symbols, s.outputOffset, s.length, version);
        if (o !== null && (best === null || compareOccurrences(o, best) < 0)) best = o;
      }
      if (best !== null && (best.datanet !== s.datanet || best.rowIndex !== s.rowIndex)) {
        const earlier = cite(best.datanet, best.rowIndex);
        if (earlier !== null) {
          const found = attempt({ condition: 'e', span: i, row: earlier, rowOffset: best.rowOffset });
          if (found !== null) return found;
        }
      }
    }
    // an omitted span the rule keeps
    let recomputed: Evidence;
    try {
      recomputed = this.trace({
        output: e.outputTokenIds,
        pins: e.datanetVersions.map((d) => ({ datanet: d.id, version: Number(d.version) })),
        params,
        modelVersion: e.modelVersion,
        maxOutputTokens: Number.MAX_SAFE_INTEGER,
        maxPinnedDatanets: Number.MAX_SAFE_INTEGER,
      }).evidence;
    } catch {
      return null;
    }
    const kept = new Set(e.spans.map((s) => `${s.outputOffset}+${s.length}`));
    for (const s of recomputed.spans) {
      if (kept.has(`${s.outputOffset}+${s.length}`)) continue;
      const row = cite(s.datanet, s.rowIndex);
      if (row === null) continue;
      const found = attempt({
        condition: 'd',
        outputOffset: s.outputOffset,
        length: s.length,
        row,
        rowOffset: s.rowOffset,
      });
      if (found !== null) return found;
    }
    return null;
  }

  /**
   * The curator's copy report (DESIGN §4.4): which parts of a pending contribution, in spans of at least
   * `minTokens` (12) tokens, are already in the Datanet, and whose rows they come from.
   */
  copyReport(p: CopyReportParameters): CopyReport {
    const index = this.datanet(p.datanet);
    const minTokens = p.minTokens ?? 12;
    const version = p.version ?? index.versionCount;
    const empty: CopyReport = { totalTokens: 0, copiedTokens: 0, copiedPpm: 0, spans: [], byContributor: [] };
    const rows = p.rows.map((r) =>
      typeof r === 'string' ? Array.from(this.tokenizer.encode(r)) : Array.from(r),
    );
    let total = 0;
    for (const r of rows) total += r.length;
    if (version === 0 || index.versionCount === 0) return { ...empty, totalTokens: total };
    let copied = 0;
    const spans: CopiedSpan[] = [];
    const byContributor = new Map<
      Hex,
      { tokens: number; rows: Map<string, { datanet: Hex; rowIndex: bigint }> }
    >();
    rows.forEach((row, r) => {
      const symbols = Int32Array.from(row, (t) => t + 1);
      const ml = new Int32Array(row.length);
      index.matchLengths(symbols, version, ml);
      let reach = 0;
      for (let i = 0; i < row.length; i++) {
        if (ml[i]! >= minTokens && i + ml[i]! > reach) {
          const start = Math.max(i, reach);
          copied += i + ml[i]! - start;
          if (i >= reach) {
            const source = index.earliest(symbols, i, ml[i]!, version)!;
            spans.push({ row: r, offset: i, length: ml[i]!, source });
            const entry = byContributor.get(source.contributor) ?? { tokens: 0, rows: new Map() };
            entry.tokens += ml[i]!;
            entry.rows.set(`${source.datanet}/${source.rowIndex}`, {
              datanet: source.datanet,
              rowIndex: source.rowIndex,
            });
            byContributor.set(source.contributor, entry);
          }
          reach = i + ml[i]!;
        }
      }
    });
    return {
      totalTokens: total,
      copiedTokens: copied,
      copiedPpm: total === 0 ? 0 : Math.floor((copied * 1_000_000) / total),
      spans,
      byContributor: [...byContributor]
        .map(([contributor, v]) => ({ contributor, tokens: v.tokens, rows: [...v.rows.values()] }))
        .sort((a, b) => b.tokens - a.tokens || compareHex(a.contributor, b.contributor)),
    };
  }
}

/** Field-by-field differences between a claimed and a recomputed evidence (gradient excluded). */
export function diffEvidence(claimed: Evidence, want: Evidence): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a, big) === JSON.stringify(b, big);
  if (claimed.modelVersion !== want.modelVersion) out.push('modelVersion differs');
  if (!same(claimed.datanetVersions, want.datanetVersions)) {
    out.push(
      `datanetVersions: claimed ${JSON.stringify(claimed.datanetVersions, big)}, index has ${JSON.stringify(want.datanetVersions, big)}`,
    );
  }
  if (claimed.counts.N !== want.counts.N)
    out.push(`counts.N: claimed ${claimed.counts.N}, recomputed ${want.counts.N}`);
  const wantCounts = new Map(want.counts.tokens);
  for (const [id, c] of claimed.counts.tokens) {
    const w = wantCounts.get(id);
    if (w !== c) out.push(`counts of token ${id}: claimed ${c}, recomputed ${w ?? 'none'}`);
  }
  const key = (s: Evidence['spans'][number]) => `${s.outputOffset}+${s.length}`;
  const wantSpans = new Map(want.spans.map((s) => [key(s), s]));
  const claimedKeys = new Set(claimed.spans.map(key));
  for (const s of claimed.spans) {
    const w = wantSpans.get(key(s));
    if (w === undefined) {
      out.push(`span [${s.outputOffset}, +${s.length}) is not kept by the rule`);
      continue;
    }
    if (w.datanet !== s.datanet || w.rowIndex !== s.rowIndex || w.rowOffset !== s.rowOffset) {
      out.push(
        `span [${s.outputOffset}, +${s.length}) credits ${s.datanet}#${s.rowIndex}@${s.rowOffset}, the earliest occurrence is ${w.datanet}#${w.rowIndex}@${w.rowOffset}`,
      );
    } else if (!same(s.rowProof, w.rowProof)) {
      out.push(`span [${s.outputOffset}, +${s.length}): row proof differs`);
    }
    if (w.score !== s.score)
      out.push(`span [${s.outputOffset}, +${s.length}): score ${s.score}, recomputed ${w.score}`);
  }
  for (const w of want.spans)
    if (!claimedKeys.has(key(w))) out.push(`span [${w.outputOffset}, +${w.length}) is missing`);
  if (!same(claimed.params, want.params)) out.push('params differ');
  if (!same(claimed.weights, want.weights) || claimed.fallbackPpm !== want.fallbackPpm) {
    out.push(
      `weights: claimed ${JSON.stringify(claimed.weights)} + fallback ${claimed.fallbackPpm}, recomputed ${JSON.stringify(want.weights)} + fallback ${want.fallbackPpm}`,
    );
  }
  return out;
}

function big(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return bytesToHex(v);
  return v;
}
