/**
 * The node's attribution service (DESIGN §4.7, issue 6 item 6): an on-disk span index per registered
 * tokenizer, kept up to date as curators approve contributions (it follows committed blocks'
 * `datanets.approved` and `models.tokenizerRegistered` events and reads the contribution blobs from
 * the node's blob store), and the RPC methods `ol_trace`, `ol_copyReport`, `ol_verifyEvidence` and
 * `ol_attributionStatus` that the dashboard and the CLI use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttributionIndex,
  decodeEvidence,
  type Pin,
  type SpanParams,
  splitRowBytes,
  type TraceResult,
} from '@openledger/attribution';
import { type ChainEvent, jsonify } from '@openledger/chain';
import { BaseError, fromHex, type Hex, sha256, toHex } from '@openledger/core';
import type { Tokenizer } from '@openledger/tokenizer';
import {
  AttributionSyncError,
  type ChainDatanet,
  chainDatanets,
  chainSpanParams,
  chainTokenizer,
  chainTokenizers,
  contributionBlob,
  type JsonQuery,
  resolveModelVersion,
  type SyncProgress,
  syncDatanet,
} from './attribution-sync.js';
import type { BlobStore } from './blob-store.js';
import type { BlockCommitted, Node } from './node.js';
import { invalidParams, RPC, RpcError } from './rpc-errors.js';
import type { RpcMethod } from './rpc-methods.js';

export type AttributionServiceOptions = {
  /** Index directory (default: a temporary directory, removed on close). */
  dir?: string;
  log?: (line: string) => void;
  /** fsync index files (default true). */
  durable?: boolean;
  onProgress?: (p: SyncProgress) => void;
};

const ZERO32 = `0x${'00'.repeat(32)}` as Hex;
const TRIGGERS = new Set(['datanets.approved', 'models.tokenizerRegistered']);

type Loaded = { index: AttributionIndex; tokenizer: Tokenizer };

/** Longest output `ol_trace` accepts (tokens). */
export const MAX_TRACE_TOKENS = 4_096;

export class AttributionService {
  readonly dir: string;
  private readonly ownDir: boolean;
  private readonly loaded = new Map<Hex, Loaded>();
  private running: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private datanetCache: { height: number; list: ChainDatanet[] } | undefined;
  private readonly log: (line: string) => void;
  private readonly onBlock: (b: BlockCommitted) => void;
  /** The last sync failure (cleared by a successful sync). */
  lastError: string | undefined;
  /** Versions indexed since start. */
  indexedVersions = 0;

  constructor(
    readonly node: Node,
    readonly blobs: BlobStore,
    private readonly opts: AttributionServiceOptions = {},
  ) {
    this.ownDir = opts.dir === undefined;
    this.dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'openledger-attribution-'));
    this.log = opts.log ?? (() => {});
    this.onBlock = (b) => {
      const events: ChainEvent[] = [...b.blockEvents, ...b.receipts.flatMap((r) => r.events)];
      if (events.some((e) => TRIGGERS.has(e.type))) void this.sync().catch(() => {});
    };
    node.on('block', this.onBlock);
  }

  /** Reads the node's committed state as JSON (the shape `ol_query` answers). */
  readonly query: JsonQuery = async (path, args) =>
    jsonify(
      await this.node.app.query({ state: this.node.store.latest(), height: this.node.height }, path, args),
    );

  /** A blob from the node's store; undefined when it is missing or unreadable (the sync says which). */
  private readonly blob = async (hash: Hex) => {
    try {
      return await this.blobs.get(hash);
    } catch {
      return undefined;
    }
  };

  /**
   * Brings every index up to the chain (all registered tokenizers × all Datanets). Calls made while a
   * sync waits to start share it; one made while a sync runs queues one more.
   */
  sync(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.running.then(() => {
      this.queued = undefined;
      return this.doSync();
    });
    this.queued = next;
    this.running = next.catch((e) => {
      this.lastError = e instanceof BaseError ? e.shortMessage : String(e);
      this.log(`attribution index sync failed: ${this.lastError}`);
    });
    return next;
  }

  /** Resolves when no sync is running or queued. */
  async idle(): Promise<void> {
    for (;;) {
      const r = this.running;
      await r;
      if (r === this.running && this.queued === undefined) return;
    }
  }

  private async doSync(): Promise<void> {
    for (const hash of await chainTokenizers(this.query)) await this.load(hash);
    const datanets = await chainDatanets(this.query);
    for (const { index } of this.loaded.values()) {
      for (const d of datanets) {
        if (index.datanet(d.id).versionCount >= d.versionCount) continue;
        const added = await syncDatanet(index, this.query, this.blob, d.id, {
          onProgress: (p) => this.opts.onProgress?.(p),
        });
        this.indexedVersions += added;
        if (added) this.log(`attribution: indexed ${added} version(s) of Datanet ${d.name || d.id}`);
      }
    }
    this.lastError = undefined;
  }

  private async load(hash: Hex): Promise<Loaded> {
    let l = this.loaded.get(hash);
    if (!l) {
      const tokenizer = await chainTokenizer(this.query, hash);
      const index = AttributionIndex.open({
        dir: this.dir,
        tokenizer,
        ...(this.opts.durable === undefined ? {} : { durable: this.opts.durable }),
      });
      l = { index, tokenizer };
      this.loaded.set(hash, l);
    }
    return l;
  }

  /** The index of a tokenizer (`undefined`: the only one registered). */
  async indexFor(tokenizerHash?: Hex): Promise<Loaded> {
    if (tokenizerHash !== undefined) return this.load(tokenizerHash.toLowerCase() as Hex);
    const all = await chainTokenizers(this.query);
    if (all.length === 0) {
      throw new RpcError(RPC.NOT_FOUND, 'NO_TOKENIZER', 'no tokenizer is registered on chain yet');
    }
    if (all.length > 1) {
      throw invalidParams(`${all.length} tokenizers are registered; say which with "tokenizer"`);
    }
    return this.load(all[0]!);
  }

  private async datanets(): Promise<ChainDatanet[]> {
    if (this.datanetCache?.height !== this.node.height) {
      this.datanetCache = { height: this.node.height, list: await chainDatanets(this.query) };
    }
    return this.datanetCache.list;
  }

  /** Waits for the index to reach each pinned version when the chain already has it. */
  private async ensureIndexed(loaded: Loaded, pins: readonly Pin[]): Promise<void> {
    const chain = await this.datanets();
    for (const p of pins) {
      const d = chain.find((x) => x.id === p.datanet.toLowerCase());
      if (!d) throw new RpcError(RPC.NOT_FOUND, 'UNKNOWN_DATANET', `no Datanet ${p.datanet} on chain`);
      if (!Number.isSafeInteger(p.version) || p.version < 1 || p.version > d.versionCount) {
        throw new RpcError(
          RPC.NOT_FOUND,
          'UNKNOWN_VERSION',
          `Datanet ${d.name || d.id} has versions 1 to ${d.versionCount}, not ${p.version}`,
        );
      }
      if (loaded.index.datanet(d.id).versionCount < p.version) await this.sync().catch(() => {});
      if (loaded.index.datanet(d.id).versionCount < p.version) {
        throw new RpcError(
          RPC.UNAVAILABLE,
          'NOT_INDEXED',
          `version ${p.version} of ${d.name || d.id} is not indexed yet${this.lastError ? `: ${this.lastError}` : ''}`,
        );
      }
    }
  }

  /** `ol_trace`: spans, contributors and weights of an output (see docs/rpc.md). */
  async trace(p: TraceRequest): Promise<TraceAnswer> {
    const started = performance.now();
    let pins: Pin[];
    let tokenizerHash: Hex | undefined = p.tokenizer?.toLowerCase() as Hex | undefined;
    let modelVersion: Hex = ZERO32;
    if (p.model !== undefined) {
      const v = await resolveModelVersion(this.query, p.model);
      if (tokenizerHash !== undefined && tokenizerHash !== v.tokenizerHash) {
        throw invalidParams(`model version ${v.id} pins tokenizer ${v.tokenizerHash}, not ${tokenizerHash}`);
      }
      tokenizerHash = v.tokenizerHash;
      modelVersion = v.id;
      pins = p.pins ?? v.pins.map((x) => ({ datanet: x.datanet, version: x.version }));
      if (pins.length === 0) throw invalidParams(`model version ${v.id} pins no Datanet versions`);
    } else {
      if (!p.pins || p.pins.length === 0) throw invalidParams('give a model version or Datanet pins');
      pins = p.pins;
    }
    const loaded = await this.indexFor(tokenizerHash);
    await this.ensureIndexed(loaded, pins);
    const chainParams = await chainSpanParams(this.query);
    const params: SpanParams = {
      minSpanTokens: p.params?.minSpanTokens ?? chainParams.minSpanTokens,
      maxSpans: p.params?.maxSpans ?? chainParams.maxSpans,
      maxAttributed: p.params?.maxAttributed ?? chainParams.maxAttributed,
    };
    const t = loaded.index.trace({
      output: p.output,
      pins,
      params,
      modelVersion,
      gradientSharePpm: chainParams.gradientSharePpm,
      maxOutputTokens: MAX_TRACE_TOKENS,
    });
    const names = new Map((await this.datanets()).map((d) => [d.id, d.name]));
    return describeTrace(t, loaded, names, p.evidence === true, performance.now() - started);
  }

  /** `ol_copyReport`: how much of a contribution is already in its Datanet, in ≥ 12-token spans. */
  async copyReport(contribution: Hex, opts: { minTokens?: number; tokenizer?: Hex } = {}) {
    const c = await contributionBlob(this.query, contribution);
    const chainContribution = (await this.query('datanets.contribution', { id: contribution })) as {
      version: string;
    };
    const loaded = await this.indexFor(opts.tokenizer);
    const approvedAt = Number(chainContribution.version);
    const d = (await this.datanets()).find((x) => x.id === c.datanet);
    // a pending contribution is compared with the latest version; an approved one with the version before it
    const against = c.status === 'approved' ? approvedAt - 1 : (d?.versionCount ?? 0);
    if (against > 0) await this.ensureIndexed(loaded, [{ datanet: c.datanet, version: against }]);
    const bytes = await this.blobs.get(c.blobHash);
    if (!bytes) {
      throw new RpcError(RPC.NOT_FOUND, 'BLOB_NOT_FOUND', `blob ${c.blobHash} is not on this node`);
    }
    const rows = splitRowBytes(bytes).map((r) => new TextDecoder().decode(r));
    const tokens = rows.map((r) => loaded.tokenizer.encode(r));
    const minTokens = opts.minTokens ?? 12;
    const report =
      against === 0
        ? {
            totalTokens: tokens.reduce((s, t) => s + t.length, 0),
            copiedTokens: 0,
            copiedPpm: 0,
            spans: [],
            byContributor: [],
          }
        : loaded.index.copyReport({ datanet: c.datanet, version: against, rows: tokens, minTokens });
    return {
      contribution,
      datanet: c.datanet,
      datanetName: d?.name ?? '',
      contributor: c.contributor,
      status: c.status,
      comparedWithVersion: against,
      minTokens,
      rows: rows.length,
      totalTokens: report.totalTokens,
      copiedTokens: report.copiedTokens,
      copiedPpm: report.copiedPpm,
      spans: report.spans.map((s) => ({
        row: s.row,
        offset: s.offset,
        length: s.length,
        text: loaded.tokenizer.decode(tokens[s.row]!.slice(s.offset, s.offset + s.length)),
        source: {
          datanet: s.source.datanet,
          rowIndex: s.source.rowIndex.toString(),
          rowOffset: s.source.rowOffset,
          contributor: s.source.contributor,
        },
      })),
      byContributor: report.byContributor.map((b) => ({
        contributor: b.contributor,
        tokens: b.tokens,
        rows: b.rows.map((r) => ({ datanet: r.datanet, rowIndex: r.rowIndex.toString() })),
      })),
    };
  }

  /** `ol_verifyEvidence`: recompute a receipt's (or raw) evidence from this node's index. */
  async verify(ref: string) {
    let bytes: Uint8Array | undefined;
    let receipt: Record<string, unknown> | null = null;
    if (/^0x[0-9a-fA-F]{64}$/.test(ref)) {
      receipt = (await this.query('settlement.receipt', { id: ref.toLowerCase() })) as Record<
        string,
        unknown
      > | null;
      if (!receipt) throw new RpcError(RPC.NOT_FOUND, 'NOT_FOUND', `no settled receipt ${ref}`);
      bytes = await this.blobs.get(String(receipt.evidenceHash));
      if (!bytes) {
        throw new RpcError(
          RPC.NOT_FOUND,
          'BLOB_NOT_FOUND',
          `evidence ${String(receipt.evidenceHash)} is not on this node`,
        );
      }
    } else {
      bytes = fromHex(ref as Hex);
    }
    const evidence = decodeEvidence(bytes);
    const loaded = await this.indexFor(evidence.tokenizerHash);
    await this.ensureIndexed(
      loaded,
      evidence.datanetVersions.map((d) => ({ datanet: d.id, version: Number(d.version) })),
    );
    const params = receipt?.params as Record<string, string> | undefined;
    const report = loaded.index.verify(bytes, {
      ...(params
        ? {
            params: {
              minSpanTokens: Number(params.minSpanTokens),
              maxSpans: Number(params.maxSpans),
              maxAttributed: Number(params.maxAttributed),
            },
            gradientSharePpm: Number(params.gradientSharePpm),
          }
        : {}),
    });
    const differences = [...report.differences];
    if (receipt) {
      const weights = (receipt.weights as { contributor: string; ppm: string }[]).map(
        (w) => `${w.contributor.toLowerCase()}:${w.ppm}`,
      );
      const claimed = evidence.weights.map(([a, ppm]) => `${a.toLowerCase()}:${ppm}`);
      if (
        weights.join(',') !== claimed.join(',') ||
        String(receipt.fallbackPpm) !== String(evidence.fallbackPpm)
      ) {
        differences.push(
          `the receipt's weights ${weights.join(', ')} + fallback ${String(receipt.fallbackPpm)} differ from the evidence's ${claimed.join(', ')} + fallback ${evidence.fallbackPpm}`,
        );
      }
      if (String(receipt.modelVersion).toLowerCase() !== evidence.modelVersion) {
        differences.push(
          `the evidence names model version ${evidence.modelVersion}, the receipt ${String(receipt.modelVersion)}`,
        );
      }
    }
    return { ok: differences.length === 0, evidenceHash: toHex(sha256(bytes)), differences };
  }

  /** `ol_attributionStatus`: indexed versions per Datanet and tokenizer. */
  async status() {
    const datanets = await chainDatanets(this.query);
    const tokenizers = [];
    for (const hash of await chainTokenizers(this.query)) {
      const { index } = await this.load(hash);
      tokenizers.push({
        tokenizer: hash,
        datanets: datanets.map((d) => {
          const x = index.datanet(d.id);
          return {
            id: d.id,
            name: d.name,
            chainVersions: d.versionCount,
            indexedVersions: x.versionCount,
            tokens: x.versionCount ? x.tokenTotal() : 0,
            segments: x.segmentRuns,
            bytes: x.byteLength,
          };
        }),
      });
    }
    return {
      height: this.node.height,
      syncing: this.queued !== undefined,
      lastError: this.lastError ?? null,
      tokenizers,
    };
  }

  methods(): Record<string, RpcMethod> {
    return {
      ol_trace: async (params) => this.trace(traceRequest(params[0])),
      ol_copyReport: async (params) => {
        const id = params[0];
        if (typeof id !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(id)) {
          throw invalidParams('parameter 0 (contribution) must be a 32-byte 0x id');
        }
        const o = (params[1] ?? {}) as { minTokens?: unknown; tokenizer?: unknown };
        if (
          o.minTokens !== undefined &&
          (!Number.isSafeInteger(o.minTokens) || (o.minTokens as number) < 1)
        ) {
          throw invalidParams('minTokens must be a positive integer');
        }
        return this.copyReport(id.toLowerCase() as Hex, {
          ...(o.minTokens === undefined ? {} : { minTokens: o.minTokens as number }),
          ...(typeof o.tokenizer === 'string' ? { tokenizer: o.tokenizer as Hex } : {}),
        });
      },
      ol_verifyEvidence: async (params) => {
        const ref = params[0];
        if (typeof ref !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(ref)) {
          throw invalidParams('parameter 0 must be a receipt id or the evidence bytes as 0x hex');
        }
        return this.verify(ref);
      },
      ol_attributionStatus: async () => this.status(),
    };
  }

  async close(): Promise<void> {
    this.node.off('block', this.onBlock);
    await this.idle();
    if (this.ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export type TraceRequest = {
  output: string | number[];
  model?: string;
  pins?: Pin[];
  tokenizer?: string;
  params?: Partial<SpanParams>;
  evidence?: boolean;
};

function traceRequest(v: unknown): TraceRequest {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw invalidParams('parameter 0 must be {output, model | pins, …}');
  }
  const o = v as Record<string, unknown>;
  const out: TraceRequest = { output: '' };
  if (typeof o.output === 'string') out.output = o.output;
  else if (Array.isArray(o.output) && o.output.every((x) => Number.isSafeInteger(x) && x >= 0))
    out.output = o.output as number[];
  else throw invalidParams('output must be a string or an array of token ids');
  if (o.model !== undefined) {
    if (typeof o.model !== 'string') throw invalidParams('model must be a version id or <modelId>@<number>');
    out.model = o.model;
  }
  if (o.pins !== undefined) {
    if (!Array.isArray(o.pins)) throw invalidParams('pins must be [{datanet, version}]');
    out.pins = o.pins.map((p, i) => {
      const pin = p as { datanet?: unknown; version?: unknown };
      if (typeof pin?.datanet !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(pin.datanet)) {
        throw invalidParams(`pins[${i}].datanet must be a 32-byte 0x id`);
      }
      const version = Number(pin.version);
      if (!Number.isSafeInteger(version) || version < 1) {
        throw invalidParams(`pins[${i}].version must be a version number ≥ 1`);
      }
      return { datanet: pin.datanet.toLowerCase(), version };
    });
  }
  if (o.tokenizer !== undefined) {
    if (typeof o.tokenizer !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(o.tokenizer)) {
      throw invalidParams('tokenizer must be a 32-byte 0x hash');
    }
    out.tokenizer = o.tokenizer;
  }
  if (o.params !== undefined) {
    const p = o.params as Record<string, unknown>;
    const params: Partial<SpanParams> = {};
    for (const k of ['minSpanTokens', 'maxSpans', 'maxAttributed'] as const) {
      if (p[k] === undefined) continue;
      if (!Number.isSafeInteger(p[k]) || (p[k] as number) < 1) throw invalidParams(`params.${k} must be ≥ 1`);
      params[k] = p[k] as number;
    }
    out.params = params;
  }
  if (o.evidence !== undefined) out.evidence = o.evidence === true;
  return out;
}

export type TraceAnswer = ReturnType<typeof describeTrace>;

/** UTF-16 offset in the decoded text of each token boundary (for highlighting). */
function charOffsets(tokenizer: Tokenizer, ids: readonly number[]): number[] {
  const byteEnds: number[] = [];
  let bytes = 0;
  for (const id of ids) {
    bytes += tokenizer.tokenBytes(id).length;
    byteEnds.push(bytes);
  }
  const all = tokenizer.decodeBytes(ids);
  // units[b] = UTF-16 units of the characters that start before byte b
  const units = new Uint32Array(all.length + 1);
  let u = 0;
  for (let b = 0; b < all.length; b++) {
    units[b] = u;
    const x = all[b]!;
    if ((x & 0xc0) !== 0x80) u += x >= 0xf0 ? 2 : 1;
  }
  units[all.length] = u;
  return [0, ...byteEnds.map((b) => units[b]!)];
}

function describeTrace(
  t: TraceResult,
  loaded: Loaded,
  names: Map<Hex, string>,
  withEvidence: boolean,
  ms: number,
) {
  const ids = t.outputTokenIds;
  const offsets = charOffsets(loaded.tokenizer, ids);
  const pct = (ppm: number) => `${(ppm / 10_000).toFixed(2)}%`;
  return {
    tokenizer: t.evidence.tokenizerHash,
    modelVersion: t.evidence.modelVersion,
    pins: t.evidence.datanetVersions.map((d) => ({
      datanet: d.id,
      name: names.get(d.id) ?? '',
      version: Number(d.version),
      root: d.root,
    })),
    params: t.evidence.params,
    outputText: loaded.tokenizer.decode(ids),
    outputTokens: ids.length,
    N: t.N.toString(),
    spans: t.spans.map((s) => {
      const index = loaded.index.datanet(s.datanet);
      return {
        outputOffset: s.outputOffset,
        length: s.length,
        charStart: offsets[s.outputOffset]!,
        charEnd: offsets[s.outputOffset + s.length]!,
        text: s.text ?? loaded.tokenizer.decode(ids.slice(s.outputOffset, s.outputOffset + s.length)),
        datanet: s.datanet,
        datanetName: names.get(s.datanet) ?? '',
        rowIndex: s.rowIndex.toString(),
        rowOffset: s.rowOffset,
        contributor: s.contributor,
        contributionVersion: Number(s.rowProof.contributionVersion),
        approvalHeight: s.approvalHeight.toString(),
        score: s.score.toString(),
        credited: s.credited.toString(),
        row: loaded.tokenizer.decode(index.rowTokens(Number(s.rowIndex))),
      };
    }),
    weights: t.weights.map(([contributor, ppm]) => ({ contributor, ppm, share: pct(ppm) })),
    fallbackPpm: t.fallbackPpm,
    fallbackShare: pct(t.fallbackPpm),
    evidenceHash: t.evidenceHash,
    ...(withEvidence ? { evidence: toHex(t.evidenceBytes) } : {}),
    tookMs: Math.round(ms * 10) / 10,
  };
}

export { AttributionSyncError };
