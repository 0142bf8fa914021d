import type { Hex } from '@openledger/core';
import type { OpenLedgerClient } from './client.js';

/** A pinned Datanet version. */
export type AttributionPin = { datanet: Hex | string; version: number };

export type TraceParameters = {
  /** The output text (tokenised by the node with the pinned tokenizer) or its token ids. */
  output: string | number[];
  /** A model version: its id, `<modelId>@<number>`, or a model id (its latest version). */
  model?: string;
  /** Explicit pins (instead of, or overriding, the model version's). */
  pins?: AttributionPin[];
  /** Tokenizer hash (needed with explicit pins when several are registered). */
  tokenizer?: Hex | string;
  /** Span parameters (default: those in force on chain). */
  params?: { minSpanTokens?: number; maxSpans?: number; maxAttributed?: number };
  /** Also return the canonical evidence bytes (hex). */
  evidence?: boolean;
};

export type TracedSpan = {
  /** Token offset and length in the output. */
  outputOffset: number;
  length: number;
  /** UTF-16 offsets of the span in `outputText` (for highlighting). */
  charStart: number;
  charEnd: number;
  text: string;
  datanet: Hex;
  datanetName: string;
  rowIndex: string;
  rowOffset: number;
  contributor: Hex;
  contributionVersion: number;
  approvalHeight: string;
  score: string;
  /** Score after the duplicate rule. */
  credited: string;
  /** The credited row's text. */
  row: string;
};

export type TraceAnswer = {
  tokenizer: Hex;
  modelVersion: Hex;
  pins: { datanet: Hex; name: string; version: number; root: Hex }[];
  params: { minSpanTokens: number; maxSpans: number; maxAttributed: number };
  outputText: string;
  outputTokens: number;
  N: string;
  spans: TracedSpan[];
  weights: { contributor: Hex; ppm: number; share: string }[];
  fallbackPpm: number;
  fallbackShare: string;
  evidenceHash: Hex;
  evidence?: Hex;
  tookMs: number;
};

export type CopyReportAnswer = {
  contribution: Hex;
  datanet: Hex;
  datanetName: string;
  contributor: Hex;
  status: string;
  comparedWithVersion: number;
  minTokens: number;
  rows: number;
  totalTokens: number;
  copiedTokens: number;
  copiedPpm: number;
  spans: {
    row: number;
    offset: number;
    length: number;
    text: string;
    source: { datanet: Hex; rowIndex: string; rowOffset: number; contributor: Hex };
  }[];
  byContributor: { contributor: Hex; tokens: number; rows: { datanet: Hex; rowIndex: string }[] }[];
};

export type AttributionStatus = {
  height: number;
  syncing: boolean;
  lastError: string | null;
  tokenizers: {
    tokenizer: Hex;
    datanets: {
      id: Hex;
      name: string;
      chainVersions: number;
      indexedVersions: number;
      tokens: number;
      segments: [number, number][];
      bytes: number;
    }[];
  }[];
};

/** Spans, contributors and weights of an output, from the node's index (`ol_trace`). */
export function trace(client: OpenLedgerClient, p: TraceParameters): Promise<TraceAnswer> {
  return client.request<TraceAnswer>('ol_trace', [p]);
}

/** For curators: how much of a contribution is already in its Datanet, and whose rows (`ol_copyReport`). */
export function copyReport(
  client: OpenLedgerClient,
  contribution: Hex | string,
  opts: { minTokens?: number; tokenizer?: string } = {},
): Promise<CopyReportAnswer> {
  return client.request<CopyReportAnswer>('ol_copyReport', [contribution, opts]);
}

/** The node's recomputation of a receipt's (or raw) evidence (`ol_verifyEvidence`). */
export function verifyEvidence(
  client: OpenLedgerClient,
  receiptOrEvidence: Hex | string,
): Promise<{ ok: boolean; evidenceHash: Hex; differences: string[] }> {
  return client.request('ol_verifyEvidence', [receiptOrEvidence]);
}

/** Indexed versions per Datanet and tokenizer (`ol_attributionStatus`). */
export function attributionStatus(client: OpenLedgerClient): Promise<AttributionStatus> {
  return client.request<AttributionStatus>('ol_attributionStatus', []);
}
