import type { IncomingMessage, ServerResponse } from 'node:http';
import { DatanetRows, splitRowBytes } from '@openledger/attribution/rules';
import { ChainError, type PreparedTx } from '@openledger/chain';
import { BaseError, type Hex, toHex } from '@openledger/core';
import { BLOB_KINDS, BlobError, type BlobKind, type BlobStore, normalizeBlobHash } from './blob-store.js';
import type { BlockCommitted, Node } from './node.js';
import { invalidParams } from './rpc-errors.js';
import type { RpcMethod } from './rpc-methods.js';

export type BlobServiceOptions = {
  /** Uploads one IP may start per minute. */
  uploadsPerMinute?: number;
  /** Run the GC every this many blocks. */
  gcEveryBlocks?: number;
  log?: (line: string) => void;
};

/** Event attributes naming a blob that a transaction referenced (so the GC keeps it). */
const REFERENCES: Record<string, string> = {
  'datanets.contributed': 'blobHash',
  'settlement.settled': 'evidenceHash',
  'models.published': 'adapterHash',
};

/**
 * Wires a blob store into a node (DESIGN §4.4, §4.6): HTTP upload and download, mempool checks of
 * contribution and evidence blobs (the state machine never reads a blob), reference tracking and GC,
 * per-IP upload rate limits, and RPC methods for blob info and two-level row proofs.
 */
export function attachBlobStore(node: Node, store: BlobStore, opts: BlobServiceOptions = {}) {
  const perMinute = opts.uploadsPerMinute ?? 30;
  const gcEvery = opts.gcEveryBlocks ?? 100;
  const log = opts.log ?? (() => {});
  const uploads = new Map<string, number[]>();

  node.addMempoolCheck(async (p: PreparedTx) => checkBlobs(store, p));

  node.on('block', (b: BlockCommitted) => {
    void (async () => {
      for (const r of b.receipts) {
        for (const e of r.events) {
          const attribute = REFERENCES[e.type];
          const value = attribute && e.attributes.find(([k]) => k === attribute)?.[1];
          if (value && store.has(value)) await store.markReferenced(value, b.header.height);
        }
      }
      if (b.header.height % gcEvery === 0) {
        const removed = await store.gc(b.header.height);
        if (removed.length) log(`blob GC removed ${removed.length} unreferenced upload(s)`);
      }
    })().catch((e) => log(`blob tracking failed: ${String(e)}`));
  });

  const allowUpload = (ip: string): boolean => {
    const now = Date.now();
    const recent = (uploads.get(ip) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= perMinute) {
      uploads.set(ip, recent);
      return false;
    }
    recent.push(now);
    uploads.set(ip, recent);
    if (uploads.size > 10_000)
      for (const [k, v] of uploads) if (v.every((t) => now - t >= 60_000)) uploads.delete(k);
    return true;
  };

  const sendJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      ...headers,
    });
    res.end(JSON.stringify(body));
  };
  const sendError = (res: ServerResponse, status: number, code: string, message: string) =>
    sendJson(res, status, { error: { code, message } });

  /** POST /blobs?kind=contribution&name=file.md (body = the bytes); GET|HEAD /blobs/<hash>. */
  async function route(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/blobs' && !url.pathname.startsWith('/blobs/')) return false;
    if (req.method === 'POST' && url.pathname === '/blobs') {
      const ip = req.socket.remoteAddress ?? 'unknown';
      if (!allowUpload(ip)) {
        req.resume();
        sendJson(
          res,
          429,
          {
            error: {
              code: 'RATE_LIMITED',
              message: `at most ${perMinute} uploads per minute per address; retry later`,
            },
          },
          { 'retry-after': '60' },
        );
        return true;
      }
      const kind = (url.searchParams.get('kind') ?? 'contribution') as BlobKind;
      const name = url.searchParams.get('name') ?? undefined;
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > store.maxBytes) {
        req.resume();
        sendError(res, 413, 'BLOB_TOO_LARGE', `upload of ${declared} bytes exceeds ${store.maxBytes} bytes`);
        return true;
      }
      if (!BLOB_KINDS.includes(kind)) {
        req.resume();
        sendError(res, 400, 'INVALID_KIND', `kind must be one of ${BLOB_KINDS.join(', ')}`);
        return true;
      }
      try {
        const meta = await store.put(req, { kind, ...(name ? { name } : {}), height: node.height });
        sendJson(res, 201, meta);
      } catch (e) {
        const err = e instanceof BaseError ? e : new BlobError('UPLOAD_FAILED', String(e));
        const status = err.code === 'BLOB_TOO_LARGE' ? 413 : 400;
        sendError(res, status, err.code, err.shortMessage);
        req.destroy();
      }
      return true;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.startsWith('/blobs/')) {
      let hash: Hex;
      try {
        hash = normalizeBlobHash(url.pathname.slice('/blobs/'.length));
      } catch (e) {
        sendError(res, 400, 'INVALID_HASH', (e as BaseError).shortMessage);
        return true;
      }
      const meta = store.meta(hash);
      const bytes = meta && (await store.get(hash));
      if (!meta || !bytes) {
        sendError(res, 404, 'BLOB_NOT_FOUND', `no blob ${hash} on this node`);
        return true;
      }
      res.writeHead(200, {
        'content-type':
          meta.kind === 'contribution' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
        'content-length': String(bytes.length),
        'access-control-allow-origin': '*',
        'x-blob-kind': meta.kind,
      });
      res.end(req.method === 'HEAD' ? undefined : bytes);
      return true;
    }
    sendError(res, 405, 'METHOD_NOT_ALLOWED', 'use POST /blobs to upload, GET /blobs/<hash> to download');
    return true;
  }

  const rowsCache = new Map<Hex, DatanetRows>();
  /** Rebuilds (or extends) a Datanet's rows from chain state and the contribution blobs. */
  async function datanetRows(datanet: Hex): Promise<DatanetRows> {
    const at = { state: node.store.latest(), height: node.height };
    const rows = rowsCache.get(datanet) ?? new DatanetRows(datanet);
    for (;;) {
      const page = (await node.app.query(at, 'datanets.versions', {
        datanet,
        from: rows.versions + 1,
        limit: 500,
      })) as {
        version: bigint;
        contribution: Hex;
        contributor: Hex;
        approvalHeight: bigint;
      }[];
      if (page.length === 0) break;
      for (const v of page) {
        const c = (await node.app.query(at, 'datanets.contribution', { id: v.contribution })) as {
          blobHash: Hex;
        } | null;
        const bytes = c && (await store.get(c.blobHash));
        if (!bytes) {
          throw new BlobError(
            'BLOB_NOT_FOUND',
            `the rows of version ${v.version} (blob ${c?.blobHash}) are not on this node`,
          );
        }
        rows.approve(v.contributor, splitRowBytes(bytes), v.approvalHeight);
      }
    }
    rowsCache.set(datanet, rows);
    return rows;
  }

  const methods: Record<string, RpcMethod> = {
    async ol_blobInfo(params) {
      const hash = params[0];
      if (typeof hash !== 'string') throw invalidParams('parameter 0 (hash) must be a 0x sha-256 hash');
      return store.meta(hash) ?? null;
    },
    /** A row with its two-level proof (row → rowsRoot → version root) against version `version`. */
    async ol_rowProof(params) {
      const [datanet, rowIndex, version] = params;
      if (typeof datanet !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(datanet)) {
        throw invalidParams('parameter 0 (datanet) must be a 32-byte 0x id');
      }
      if (typeof rowIndex !== 'number' || !Number.isSafeInteger(rowIndex) || rowIndex < 0) {
        throw invalidParams('parameter 1 (rowIndex) must be a non-negative integer');
      }
      const rows = await datanetRows(datanet.toLowerCase() as Hex);
      const v = version === undefined || version === null ? rows.versions : Number(version);
      if (!Number.isSafeInteger(v) || v < 1 || v > rows.versions) {
        throw invalidParams(`version must be between 1 and ${rows.versions}`);
      }
      const proof = rows.rowProof(rowIndex, v);
      return {
        datanet,
        rowIndex,
        version: v,
        root: toHex(rows.root(v)),
        row: new TextDecoder().decode(rows.row(rowIndex)),
        proof: {
          ...proof,
          rowPath: proof.rowPath.map(toHex),
          versionPath: proof.versionPath.map(toHex),
        },
      };
    },
  };

  return { routes: [route], methods };
}

/**
 * The mempool side of the "state machine never reads a blob" rule (DESIGN §4.4, §4.6): a Contribute
 * must name a stored contribution blob whose size, row count and rowsRoot match; a SettleInference
 * must have every receipt's evidence blob stored.
 */
export async function checkBlobs(store: BlobStore, p: PreparedTx): Promise<void> {
  const m = p.tx.message as Record<string, unknown>;
  if (p.tx.kind === 'Contribute') {
    const hash = String(m.blobHash);
    const meta = store.meta(hash);
    if (!meta) {
      throw new ChainError('BLOB_MISSING', `blob ${hash} is not in this node's blob store`, {
        metaMessages: ['Upload the file first (POST /blobs?kind=contribution), then send the transaction.'],
      });
    }
    if (meta.rowCount === undefined || meta.rowsRoot === undefined) {
      throw new ChainError(
        'BLOB_MISMATCH',
        `blob ${hash} was not uploaded as a contribution (.txt/.md text)`,
      );
    }
    const problems: string[] = [];
    if (BigInt(meta.size) !== m.size) problems.push(`size ${m.size} (the blob has ${meta.size})`);
    if (BigInt(meta.rowCount) !== m.rowCount)
      problems.push(`rowCount ${m.rowCount} (the row rule gives ${meta.rowCount})`);
    if (meta.rowsRoot !== String(m.rowsRoot).toLowerCase()) {
      problems.push(`rowsRoot ${m.rowsRoot} (the row rule gives ${meta.rowsRoot})`);
    }
    if (problems.length) {
      throw new ChainError(
        'BLOB_MISMATCH',
        `the contribution does not match its blob: ${problems.join('; ')}`,
      );
    }
  } else if (p.tx.kind === 'SettleInference') {
    const receipts = (m.receipts ?? []) as { evidenceHash: string; requestId: string }[];
    const missing = receipts.filter((r) => !store.has(r.evidenceHash));
    if (missing.length) {
      throw new ChainError(
        'EVIDENCE_MISSING',
        `${missing.length} receipt(s) name evidence not in this node's blob store, e.g. ${missing[0]!.evidenceHash}`,
        { metaMessages: ['Upload each receipt’s evidence (POST /blobs?kind=evidence) before settling.'] },
      );
    }
  }
}
