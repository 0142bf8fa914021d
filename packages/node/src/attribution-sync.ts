/**
 * Keeping an attribution index in step with the chain (DESIGN §4.4, §4.7): the Datanets, their approved
 * versions and the contribution blobs, read through a JSON query function — the node's own state
 * in-process, or a remote node over RPC (the CLI's local index) — so both sides share one code path.
 */
import {
  type AttributionIndex,
  bytesToHex,
  type DatanetIndex,
  type Pin,
  splitRowBytes,
} from '@openledger/attribution';
import { BaseError, fromHex, type Hex, sha256, toHex } from '@openledger/core';
import { Tokenizer } from '@openledger/tokenizer';

/** A chain query answering JSON (bigints as decimal strings): `app.query` + `jsonify`, or `ol_query`. */
export type JsonQuery = (path: string, args: Record<string, unknown>) => Promise<unknown>;
/** Reads a blob by hash (the node's blob store, or a download from a node). */
export type BlobSource = (hash: Hex) => Promise<Uint8Array | undefined>;

export class AttributionSyncError extends BaseError {
  override name = 'AttributionSyncError';
}

export type ChainDatanet = { id: Hex; name: string; versionCount: number; totalRows: number };

export type ChainVersion = {
  version: number;
  contribution: Hex;
  contributor: Hex;
  firstRow: number;
  rowCount: number;
  rowsRoot: Hex;
  root: Hex;
  approvalHeight: bigint;
};

type JsonRecord = Record<string, unknown>;
const str = (v: unknown): string => String(v);
const num = (v: unknown): number => Number(String(v));

/** Every Datanet on chain, in id order. */
export async function chainDatanets(query: JsonQuery): Promise<ChainDatanet[]> {
  const out: ChainDatanet[] = [];
  let after: string | undefined;
  for (;;) {
    const page = (await query('datanets.list', { limit: 100, ...(after ? { after } : {}) })) as JsonRecord[];
    for (const d of page) {
      out.push({
        id: str(d.id).toLowerCase() as Hex,
        name: str(d.name ?? ''),
        versionCount: num(d.versionCount),
        totalRows: num(d.totalRows),
      });
    }
    if (page.length < 100) return out;
    after = out.at(-1)!.id;
  }
}

/** Versions `from`.. of a Datanet, as recorded on chain. */
export async function chainVersions(query: JsonQuery, datanet: Hex, from = 1): Promise<ChainVersion[]> {
  const out: ChainVersion[] = [];
  for (let next = from; ; ) {
    const page = (await query('datanets.versions', {
      datanet,
      from: String(next),
      limit: 100,
    })) as JsonRecord[];
    for (const v of page) {
      out.push({
        version: num(v.version),
        contribution: str(v.contribution).toLowerCase() as Hex,
        contributor: str(v.contributor) as Hex,
        firstRow: num(v.firstRow),
        rowCount: num(v.rowCount),
        rowsRoot: str(v.rowsRoot).toLowerCase() as Hex,
        root: str(v.root).toLowerCase() as Hex,
        approvalHeight: BigInt(str(v.approvalHeight)),
      });
    }
    if (page.length < 100) return out;
    next = out.at(-1)!.version + 1;
  }
}

/** A contribution's blob hash and status. */
export async function contributionBlob(
  query: JsonQuery,
  contribution: Hex,
): Promise<{ blobHash: Hex; datanet: Hex; status: string; contributor: Hex; rowCount: number }> {
  const c = (await query('datanets.contribution', { id: contribution })) as JsonRecord | null;
  if (!c) throw new AttributionSyncError('NOT_FOUND', `no contribution ${contribution} on chain`);
  return {
    blobHash: str(c.blobHash).toLowerCase() as Hex,
    datanet: str(c.datanet).toLowerCase() as Hex,
    status: str(c.status),
    contributor: str(c.contributor) as Hex,
    rowCount: num(c.rowCount),
  };
}

/** The rows of a contribution blob by the *fixed* row rule, checked against its on-chain rowsRoot. */
export async function contributionRowBytes(
  query: JsonQuery,
  blobs: BlobSource,
  contribution: Hex,
): Promise<Uint8Array[]> {
  const c = await contributionBlob(query, contribution);
  const bytes = await blobs(c.blobHash);
  if (!bytes) {
    throw new AttributionSyncError(
      'BLOB_NOT_FOUND',
      `blob ${c.blobHash} of contribution ${contribution} is not available`,
      { metaMessages: ['Every node serves contribution blobs; is this node missing it?'] },
    );
  }
  if (toHex(sha256(bytes)) !== c.blobHash) {
    throw new AttributionSyncError('BLOB_MISMATCH', `blob ${c.blobHash} does not hash to its name`);
  }
  return splitRowBytes(bytes);
}

export type SyncProgress = { datanet: Hex; version: number; of: number; rows: number };

/**
 * Indexes the approved versions of one Datanet the index does not have yet, in version order, each
 * as a new segment (the index's compaction policy merges them). Each version's rowsRoot and version
 * root are checked against the chain. Returns the number of versions added.
 */
export async function syncDatanet(
  index: AttributionIndex,
  query: JsonQuery,
  blobs: BlobSource,
  datanet: Hex,
  opts: { onProgress?: (p: SyncProgress) => void; upTo?: number } = {},
): Promise<number> {
  const d = index.datanet(datanet);
  const versions = await chainVersions(query, datanet, d.versionCount + 1);
  let added = 0;
  for (const v of versions) {
    if (opts.upTo !== undefined && v.version > opts.upTo) break;
    if (v.version !== d.versionCount + 1) continue; // indexed meanwhile
    const rows = await contributionRowBytes(query, blobs, v.contribution);
    if (d.versionCount + 1 !== v.version) continue;
    d.addVersion({
      contributor: v.contributor,
      approvalHeight: v.approvalHeight,
      rows,
      version: v.version,
      rowsRoot: fromHex(v.rowsRoot),
    });
    checkRoot(d, v);
    added++;
    opts.onProgress?.({ datanet, version: v.version, of: versions.at(-1)!.version, rows: rows.length });
  }
  return added;
}

function checkRoot(d: DatanetIndex, v: ChainVersion): void {
  const root = bytesToHex(d.root(v.version));
  if (root !== v.root) {
    throw new AttributionSyncError(
      'INDEX_DIVERGED',
      `the index's root of ${d.datanet} version ${v.version} is ${root}, the chain's is ${v.root}`,
      {
        metaMessages: ['Delete the index directory and rebuild it (openledger attribution index --rebuild).'],
      },
    );
  }
}

/**
 * Checks an index against the chain without changing it: for every Datanet, the indexed versions'
 * roots equal the chain's. Returns one line per problem.
 */
export async function checkIndex(index: AttributionIndex, query: JsonQuery): Promise<string[]> {
  const problems: string[] = [];
  for (const dn of await chainDatanets(query)) {
    const d = index.datanet(dn.id);
    if (d.repairs.length)
      for (const r of d.repairs) problems.push(`${dn.id}: repaired ${r.file}: ${r.problem} (${r.action})`);
    if (d.versionCount > dn.versionCount) {
      problems.push(`${dn.id}: the index has ${d.versionCount} versions, the chain only ${dn.versionCount}`);
      continue;
    }
    if (d.versionCount === 0) continue;
    for (const v of await chainVersions(query, dn.id, 1)) {
      if (v.version > d.versionCount) break;
      const root = bytesToHex(d.root(v.version));
      if (root !== v.root)
        problems.push(`${dn.id} version ${v.version}: index root ${root}, chain ${v.root}`);
    }
  }
  return problems;
}

/** Loads a tokenizer registered on chain (its canonical file from state), checking its hash. */
export async function chainTokenizer(query: JsonQuery, hash: Hex): Promise<Tokenizer> {
  const t = (await query('models.tokenizer', { hash, withBytes: true })) as JsonRecord | null;
  if (!t) {
    throw new AttributionSyncError(
      'TOKENIZER_NOT_REGISTERED',
      `tokenizer ${hash} is not registered on chain`,
    );
  }
  return Tokenizer.fromFile(fromHex(str(t.vocabulary) as Hex), { expectedHash: hash.slice(2) });
}

/** Hashes of the tokenizers registered on chain. */
export async function chainTokenizers(query: JsonQuery): Promise<Hex[]> {
  const list = (await query('models.tokenizers', { limit: 100 })) as JsonRecord[];
  return list.map((t) => str(t.hash).toLowerCase() as Hex);
}

export type ResolvedModelVersion = {
  id: Hex;
  model: Hex;
  number: number;
  status: string;
  tokenizerHash: Hex;
  chatTemplateHash: Hex;
  operators: string[];
  pins: (Pin & { root: Hex; rows: number })[];
};

/**
 * Resolves a model version reference: a version id, `<modelId>@<number>`, or a model id (its latest
 * version).
 */
export async function resolveModelVersion(query: JsonQuery, ref: string): Promise<ResolvedModelVersion> {
  const bad = () =>
    new AttributionSyncError(
      'INVALID_MODEL_REF',
      `"${ref}" names no model version: give a version id, <modelId>@<number> or a model id`,
    );
  const m = /^(0x[0-9a-fA-F]{64})(?:@(\d+))?$/.exec(ref.trim());
  if (!m) throw bad();
  const id = m[1]!.toLowerCase();
  let versionId: string | undefined;
  if (m[2] === undefined) {
    const v = (await query('models.version', { id })) as JsonRecord | null;
    if (v) return describe(id as Hex, v);
  }
  const model = (await query('models.model', { id })) as JsonRecord | null;
  if (!model) throw bad();
  const versions = (model.versions as string[]) ?? [];
  if (versions.length === 0) throw new AttributionSyncError('NOT_FOUND', `model ${id} has no versions yet`);
  if (m[2] === undefined) versionId = versions.at(-1);
  else {
    const n = Number(m[2]);
    versionId = versions[n - 1];
    if (versionId === undefined || n < 1)
      throw new AttributionSyncError(
        'NOT_FOUND',
        `model ${id} has versions 1 to ${versions.length}, not ${n}`,
      );
  }
  const v = (await query('models.version', { id: versionId })) as JsonRecord | null;
  if (!v) throw bad();
  return describe(versionId!.toLowerCase() as Hex, v);
}

function describe(id: Hex, v: JsonRecord): ResolvedModelVersion {
  return {
    id,
    model: str(v.model).toLowerCase() as Hex,
    number: num(v.number),
    status: str(v.status),
    tokenizerHash: str(v.tokenizerHash).toLowerCase() as Hex,
    chatTemplateHash: str(v.chatTemplateHash).toLowerCase() as Hex,
    operators: (v.operators as string[]) ?? [],
    pins: ((v.pins as JsonRecord[]) ?? []).map((p) => ({
      datanet: str(p.datanet).toLowerCase() as Hex,
      version: num(p.version),
      root: str(p.root).toLowerCase() as Hex,
      rows: num(p.rows),
    })),
  };
}

/** The span parameters in force on chain (settlement params), for traces whose evidence must settle. */
export async function chainSpanParams(
  query: JsonQuery,
): Promise<{ minSpanTokens: number; maxSpans: number; maxAttributed: number; gradientSharePpm: number }> {
  const all = (await query('params.all', {})) as JsonRecord[];
  const get = (name: string) => {
    const p = all.find((x) => x.module === 'settlement' && x.name === name);
    if (!p) throw new AttributionSyncError('NOT_FOUND', `no parameter settlement.${name} on chain`);
    return num(p.value);
  };
  return {
    minSpanTokens: get('minSpanTokens'),
    maxSpans: get('maxSpans'),
    maxAttributed: get('maxAttributed'),
    gradientSharePpm: get('gradientSharePpm'),
  };
}

/** A pin list from `id@version` strings. */
export function parsePins(list: readonly string[]): Pin[] {
  return list.map((text) => {
    const m = /^(0x[0-9a-fA-F]{64})@(\d+)$/.exec(text.trim());
    if (!m) {
      throw new AttributionSyncError('INVALID_PIN', `"${text}" is not <datanetId>@<version>`);
    }
    return { datanet: m[1]!.toLowerCase(), version: Number(m[2]) };
  });
}
