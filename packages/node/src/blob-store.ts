import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { rowsRoot, splitRowBytes } from '@openledger/attribution/rules';
import { BaseError, type Hex, toHex } from '@openledger/core';

/**
 * The node's content-addressed blob store (DESIGN §4.4, §4.7): contribution files, attribution evidence
 * and adapters, each stored under the sha-256 of its bytes. Writes go to a temporary file that is
 * fsynced and then renamed to the hash, so a crash never leaves a partial blob under a real name.
 * Uploads stream and stop at `maxBytes`; contributions must be UTF-8 `.txt`/`.md` with rows.
 * Blobs no transaction references within `gcAfterBlocks` blocks of their upload are deleted.
 */
export type BlobKind = 'contribution' | 'evidence' | 'adapter' | 'other';
export const BLOB_KINDS: readonly BlobKind[] = ['contribution', 'evidence', 'adapter', 'other'];

export type BlobMeta = {
  hash: Hex;
  size: number;
  kind: BlobKind;
  /** Chain height when it was uploaded (the GC clock). */
  uploadedHeight: number;
  /** Height of the first block whose transaction referenced it (0 while unreferenced). */
  referencedHeight: number;
  /** Contributions: the row rule's result, what a Contribute transaction must carry. */
  rowCount?: number;
  rowsRoot?: Hex;
};

export type BlobStoreOptions = {
  /** Largest blob, in bytes (DESIGN §4.4: 5,000,000 for contribution files). */
  maxBytes?: number;
  /** Unreferenced uploads older than this many blocks are deleted. */
  gcAfterBlocks?: number;
};

export class BlobError extends BaseError {
  override name = 'BlobError';
}

const HASH_RE = /^0x[0-9a-f]{64}$/;

export function normalizeBlobHash(hash: string): Hex {
  const h = hash.toLowerCase();
  const withPrefix = (h.startsWith('0x') ? h : `0x${h}`) as Hex;
  if (!HASH_RE.test(withPrefix))
    throw new BlobError('INVALID_HASH', `"${hash.slice(0, 80)}" is not a sha-256 hash`);
  return withPrefix;
}

/** Checks a contribution file and applies the row rule: UTF-8 `.txt`/`.md` with at least one row. */
export function contributionRows(bytes: Uint8Array, name?: string): { rowCount: number; rowsRoot: Hex } {
  if (name !== undefined && !/\.(txt|md)$/i.test(name)) {
    throw new BlobError('UNSUPPORTED_FORMAT', `"${name}" is not a .txt or .md file`, {
      metaMessages: ['Contributions are UTF-8 text (.txt or .md); convert other formats to text first.'],
    });
  }
  let rows: Uint8Array[];
  try {
    rows = splitRowBytes(bytes);
  } catch (e) {
    const err = e as BaseError;
    throw new BlobError(err.code ?? 'INVALID_CONTRIBUTION', err.shortMessage ?? String(e));
  }
  if (rows.length === 0)
    throw new BlobError('NO_ROWS', 'the file has no rows (it is empty or only blank lines)');
  return { rowCount: rows.length, rowsRoot: toHex(rowsRoot(rows)) };
}

export class BlobStore {
  readonly maxBytes: number;
  readonly gcAfterBlocks: number;
  private readonly index = new Map<Hex, BlobMeta>();
  private readonly memory = new Map<Hex, Uint8Array>();

  private constructor(
    readonly dir: string | undefined,
    opts: BlobStoreOptions,
  ) {
    this.maxBytes = opts.maxBytes ?? 5_000_000;
    this.gcAfterBlocks = opts.gcAfterBlocks ?? 1_000;
  }

  /** Opens (or creates) a store under `dir`; without `dir` it keeps blobs in memory. */
  static async open(dir: string | undefined, opts: BlobStoreOptions = {}): Promise<BlobStore> {
    const store = new BlobStore(dir, opts);
    if (dir) {
      await mkdir(join(dir, 'tmp'), { recursive: true });
      // leftovers of interrupted uploads
      for (const name of await readdir(join(dir, 'tmp'))) await rm(join(dir, 'tmp', name), { force: true });
      for (const shard of await readdir(dir)) {
        if (shard === 'tmp') continue;
        for (const name of await readdir(join(dir, shard))) {
          if (!name.endsWith('.json')) continue;
          const meta = JSON.parse(await readFile(join(dir, shard, name), 'utf8')) as BlobMeta;
          try {
            await stat(store.path(meta.hash));
            store.index.set(meta.hash, meta);
          } catch {
            await rm(join(dir, shard, name), { force: true });
          }
        }
      }
    }
    return store;
  }

  private path(hash: Hex): string {
    return join(this.dir!, hash.slice(2, 4), hash.slice(2));
  }

  has(hash: string): boolean {
    return this.index.has(normalizeBlobHash(hash));
  }

  meta(hash: string): BlobMeta | undefined {
    return this.index.get(normalizeBlobHash(hash));
  }

  get size(): number {
    return this.index.size;
  }

  async get(hash: string): Promise<Uint8Array | undefined> {
    const h = normalizeBlobHash(hash);
    if (!this.index.has(h)) return undefined;
    if (!this.dir) return this.memory.get(h);
    return new Uint8Array(await readFile(this.path(h)));
  }

  /**
   * Stores a blob from a stream of chunks: hashed and written as it arrives, refused with
   * BLOB_TOO_LARGE as soon as it passes `maxBytes`. Storing the same bytes again returns the same meta.
   */
  async put(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    opts: { kind: BlobKind; name?: string; height: number },
  ): Promise<BlobMeta> {
    if (!BLOB_KINDS.includes(opts.kind)) {
      throw new BlobError('INVALID_KIND', `blob kind must be one of ${BLOB_KINDS.join(', ')}`);
    }
    const hasher = sha256.create();
    const parts: Uint8Array[] = [];
    let size = 0;
    const tmp = this.dir ? join(this.dir, 'tmp', `${randomBytes(12).toString('hex')}.part`) : undefined;
    const file = tmp ? await open(tmp, 'wx') : undefined;
    try {
      for await (const chunk of chunks) {
        size += chunk.length;
        if (size > this.maxBytes) {
          throw new BlobError('BLOB_TOO_LARGE', `upload exceeds ${this.maxBytes} bytes`, {
            metaMessages: ['Split the file into several contributions of at most 5,000,000 bytes each.'],
          });
        }
        hasher.update(chunk);
        // contributions are checked whole after the upload (≤ maxBytes), other kinds only streamed
        if (!file || opts.kind === 'contribution') parts.push(chunk);
        if (file) await file.write(chunk);
      }
      if (size === 0) throw new BlobError('EMPTY_BLOB', 'the upload is empty');
      const hash = toHex(hasher.digest());
      let rows: { rowCount: number; rowsRoot: Hex } | undefined;
      if (opts.kind === 'contribution') rows = contributionRows(concat(parts, size), opts.name);
      const existing = this.index.get(hash);
      if (existing) {
        if (rows && existing.rowCount === undefined) Object.assign(existing, rows, { kind: 'contribution' });
        return existing;
      }
      const meta: BlobMeta = {
        hash,
        size,
        kind: opts.kind,
        uploadedHeight: opts.height,
        referencedHeight: 0,
        ...rows,
      };
      if (file && tmp) {
        await file.sync();
        await file.close();
        await mkdir(join(this.dir!, hash.slice(2, 4)), { recursive: true });
        await rename(tmp, this.path(hash));
        await this.writeMeta(meta);
      } else {
        this.memory.set(hash, concat(parts, size));
      }
      this.index.set(hash, meta);
      return meta;
    } finally {
      if (file) {
        await file.close().catch(() => {});
        if (tmp) await rm(tmp, { force: true });
      }
    }
  }

  putBytes(bytes: Uint8Array, opts: { kind: BlobKind; name?: string; height: number }): Promise<BlobMeta> {
    return this.put([bytes], opts);
  }

  private async writeMeta(meta: BlobMeta): Promise<void> {
    if (!this.dir) return;
    const tmp = join(this.dir, 'tmp', `${randomBytes(12).toString('hex')}.json`);
    const f = await open(tmp, 'wx');
    try {
      await f.writeFile(JSON.stringify(meta));
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, `${this.path(meta.hash)}.json`);
  }

  /** Marks a blob as referenced by a transaction in block `height` (it is kept from then on). */
  async markReferenced(hash: string, height: number): Promise<void> {
    const meta = this.index.get(normalizeBlobHash(hash));
    if (meta?.referencedHeight !== 0) return;
    meta.referencedHeight = height;
    await this.writeMeta(meta);
  }

  /** Deletes uploads still unreferenced `gcAfterBlocks` after their upload. PERF: O(blobs). */
  async gc(height: number): Promise<Hex[]> {
    const removed: Hex[] = [];
    for (const meta of [...this.index.values()]) {
      if (meta.referencedHeight !== 0 || height - meta.uploadedHeight < this.gcAfterBlocks) continue;
      this.index.delete(meta.hash);
      this.memory.delete(meta.hash);
      if (this.dir) {
        await rm(this.path(meta.hash), { force: true });
        await rm(`${this.path(meta.hash)}.json`, { force: true });
      }
      removed.push(meta.hash);
    }
    return removed;
  }
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
