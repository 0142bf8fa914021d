/**
 * StateStore: Merkle-committed, versioned key-value state on LevelDB (`classic-level`), with one
 * atomic batch per block for state, tree nodes and the caller's records (DESIGN §3 Blocks, Storage).
 *
 * LevelDB layout (first byte is the namespace):
 *   0x00 'm'                 meta: format(1) ‖ height(u32) ‖ pruneNext(u32)
 *   0x01 ‖ key               latest state value (fast reads and ordered iteration at the latest height)
 *   0x02 ‖ ver ‖ depth ‖ path  tree node written at height `ver` (see tree.ts)
 *   0x03 ‖ height(u32)       root at that height: rootVersion(u32, 0 = empty) ‖ rootHash(32)
 *   0x04 ‖ height(u32)       journal: node keys made stale at that height, state keys written
 *   0x05 ‖ key               records (blocks, txs, receipts, indexes), not versioned, not in the tree
 */
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import { StoreError } from './errors.js';
import {
  type ChildRef,
  decodeLeaf,
  type Hash,
  internalChild,
  internalSiblings,
  leafReadNeeded,
  MissingNodes,
  nibbleAt,
  nodeKey,
  sha256s,
  type TreeItem,
  TreeUpdate,
} from './tree.js';
import { EMPTY_ROOT, type StateProof } from './verify.js';

export interface IterateOptions {
  gte?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

export interface StateReader {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Several values in one batched read (same answers as `get` for each key). */
  getMany?(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  /** entries whose key starts with prefix, ascending by unsigned bytes (descending if reverse), starting at gte / lte when given */
  iterate(prefix: Uint8Array, opts?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]>;
}

/** key as lowercase hex without 0x → new value, or null to delete. */
export type StateWrites = ReadonlyMap<string, Uint8Array | null>;

export interface CommitExtra {
  puts?: Array<[Uint8Array, Uint8Array]>;
  dels?: Uint8Array[];
}

export interface PreparedCommit {
  readonly height: number;
  /** state root after applying the writes */
  readonly root: Uint8Array;
  /** writes the state changes AND the extra records in ONE atomic LevelDB batch; afterwards store.height/root advance */
  commit(extra?: CommitExtra): Promise<void>;
}

export interface StateStoreOptions {
  /** how many recent heights stay readable through `at()` and `prove()` (default 1000, at least 1) */
  retainHeights?: number;
  /** byte budget of the in-memory cache of internal tree nodes (default 256 MiB) */
  cacheBytes?: number;
  /** entries of the cache of latest values (filled by reads, kept current by commits; default 500,000) */
  valueCacheEntries?: number;
  /** fsync every block commit (survives power loss, slower); default false survives process crashes */
  sync?: boolean;
}

/** Both backends implement the same abstract-level API; typed as the classic one. */
type Db = ClassicLevel<Buffer, Buffer>;
type RootInfo = { ref: ChildRef | undefined; hash: Buffer };

const P_STATE = 0x01;
const P_ROOT = 0x03;
const P_JOURNAL = 0x04;
const P_RECORD = 0x05;
const META_KEY = Buffer.from([0x00, 0x6d]);
const FORMAT = 1;
const EMPTY: RootInfo = { ref: undefined, hash: Buffer.from(EMPTY_ROOT) };
const HEX = /^(?:[0-9a-f]{2})*$/;
const MAX_HEIGHT = 0xffffffff;

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);
const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

function prefixed(ns: number, key: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(1 + key.length);
  b[0] = ns;
  b.set(key, 1);
  return b;
}

function heightKey(ns: number, height: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = ns;
  b.writeUInt32BE(height, 1);
  return b;
}

function assertBytes(x: unknown, what: string): asserts x is Uint8Array {
  if (!(x instanceof Uint8Array)) throw new StoreError('INVALID_KEY', `${what} must be a Uint8Array`);
}

/** LevelDB range over namespace `ns` for keys starting with `prefix`, bounded by gte / lte. */
function rangeFor(
  ns: number,
  prefix: Uint8Array,
  opts: IterateOptions,
): { gte: Buffer; lt?: Buffer; lte?: Buffer } {
  let gte = prefixed(ns, prefix);
  if (opts.gte && Buffer.compare(prefixed(ns, opts.gte), gte) > 0) gte = prefixed(ns, opts.gte);
  // exclusive end of the prefix: increment the last byte that is not 0xff
  let end: Buffer | undefined;
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! !== 0xff) {
      end = prefixed(ns, prefix.subarray(0, i + 1));
      end[i + 1]! += 1;
      break;
    }
  }
  end ??= Buffer.from([ns + 1]);
  if (opts.lte) {
    const lte = prefixed(ns, opts.lte);
    if (Buffer.compare(lte, end) < 0) return { gte, lte };
  }
  return { gte, lt: end };
}

function checkIterateOptions(prefix: unknown, opts: IterateOptions): void {
  assertBytes(prefix, 'iterate prefix');
  if (opts.gte !== undefined) assertBytes(opts.gte, 'iterate gte');
  if (opts.lte !== undefined) assertBytes(opts.lte, 'iterate lte');
  if (opts.limit !== undefined && (!Number.isInteger(opts.limit) || opts.limit < 0)) {
    throw new StoreError('INVALID_OPTION', `iterate limit must be a non-negative integer, got ${opts.limit}`);
  }
}

function encodeJournal(stale: readonly Buffer[], keys: readonly Buffer[]): Buffer {
  let size = 8;
  for (const s of stale) size += 1 + s.length;
  for (const k of keys) size += 4 + k.length;
  const b = Buffer.allocUnsafe(size);
  // byte loops: these keys are short, and Buffer#copy's per-call overhead dominated
  let o = b.writeUInt32BE(stale.length, 0);
  for (const s of stale) {
    b[o++] = s.length;
    for (let i = 0; i < s.length; i++) b[o++] = s[i]!;
  }
  o = b.writeUInt32BE(keys.length, o);
  for (const k of keys) {
    o = b.writeUInt32BE(k.length, o);
    for (let i = 0; i < k.length; i++) b[o++] = k[i]!;
  }
  return b;
}

function decodeJournal(b: Buffer): { stale: Buffer[]; keys: Buffer[] } {
  const stale: Buffer[] = [];
  const keys: Buffer[] = [];
  let o = 4;
  for (let n = b.readUInt32BE(0); n > 0; n--) {
    const len = b[o++]!;
    stale.push(b.subarray(o, o + len));
    o += len;
  }
  let m = b.readUInt32BE(o);
  o += 4;
  for (; m > 0; m--) {
    const len = b.readUInt32BE(o);
    keys.push(b.subarray(o + 4, o + 4 + len));
    o += 4 + len;
  }
  return { stale, keys };
}

/**
 * Cache of internal tree nodes, keyed by path (node key without its version) and holding the newest
 * version seen for the path, so it converges on the current tree and never fills with superseded
 * versions. Two generations bounded by bytes approximate LRU cheaply.
 */
type CacheEntry = { readonly version: number; readonly bytes: Buffer };
class NodeCache {
  private young = new Map<string, CacheEntry>();
  private old = new Map<string, CacheEntry>();
  private youngBytes = 0;
  constructor(private readonly maxBytes: number) {}
  /** `ks` is the latin1 node key: 0x02 ‖ version(4) ‖ depth ‖ path. */
  get(ks: string): Buffer | undefined {
    const path = ks.slice(5);
    let e = this.young.get(path);
    if (e === undefined) {
      e = this.old.get(path);
      if (e === undefined) return undefined;
      this.put(path, e);
    }
    return e.version === versionOf(ks) ? e.bytes : undefined;
  }
  set(ks: string, v: Buffer): void {
    if (this.maxBytes === 0) return;
    const path = ks.slice(5);
    const version = versionOf(ks);
    const cur = this.young.get(path) ?? this.old.get(path);
    if (cur !== undefined && cur.version > version) return;
    this.put(path, { version, bytes: v });
  }
  private put(path: string, e: CacheEntry): void {
    this.young.set(path, e);
    this.youngBytes += e.bytes.length + 2 * path.length + 100;
    if (this.youngBytes * 2 > this.maxBytes) {
      this.old = this.young;
      this.young = new Map();
      this.youngBytes = 0;
    }
  }
}

const versionOf = (ks: string): number =>
  ((ks.charCodeAt(1) << 24) | (ks.charCodeAt(2) << 16) | (ks.charCodeAt(3) << 8) | ks.charCodeAt(4)) >>> 0;

/**
 * Latest-height values by key (null = absent), filled by latest reads and updated by each commit, so
 * the values a block's execution just read cost no I/O when the block is prepared. Two generations
 * bounded by entry count.
 */
class ValueCache {
  private young = new Map<string, Buffer | null>();
  private old = new Map<string, Buffer | null>();
  constructor(private readonly maxEntries: number) {}
  get(ks: string): Buffer | null | undefined {
    const v = this.young.get(ks);
    if (v !== undefined) return v;
    const o = this.old.get(ks);
    if (o !== undefined) this.set(ks, o);
    return o;
  }
  set(ks: string, v: Buffer | null): void {
    if (this.maxEntries === 0) return;
    this.young.set(ks, v);
    if (this.young.size * 2 >= this.maxEntries) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}

interface PreparedState {
  seq: number;
  base: number;
  version: number;
  items: TreeItem[];
  update: TreeUpdate;
  newRoot: RootInfo;
  done: boolean;
}

/** Merkle-committed, versioned key-value state with atomic block commits. */
export class StateStore {
  readonly #db: Db;
  readonly #retain: number;
  readonly #sync: boolean;
  readonly #cache: NodeCache;
  readonly #values: ValueCache;
  #height: number;
  #pruneNext: number;
  readonly #roots = new Map<number, RootInfo>();
  #committing: Promise<void> | null = null;
  #inflight = 0;
  #drained: (() => void) | null = null;
  #prepareSeq = 0;
  #closed = false;

  private constructor(db: Db, opts: StateStoreOptions, height: number, pruneNext: number) {
    this.#db = db;
    this.#retain = opts.retainHeights ?? 1000;
    this.#sync = opts.sync ?? false;
    this.#cache = new NodeCache(opts.cacheBytes ?? 256 * 1024 * 1024);
    this.#values = new ValueCache(opts.valueCacheEntries ?? 500_000);
    this.#height = height;
    this.#pruneNext = pruneNext;
  }

  /** Opens (creating if needed) a store in directory `dir`. */
  static async open(dir: string, opts: StateStoreOptions = {}): Promise<StateStore> {
    checkOptions(opts);
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new StoreError(
          'STORE_LOCKED',
          `the store in ${dir} is open in another process or instance; close it first`,
        );
      }
      throw e;
    }
    return StateStore.#init(db, opts);
  }

  /** An in-memory store (memory-level) running the same code as `open`. */
  static async memory(opts: StateStoreOptions = {}): Promise<StateStore> {
    checkOptions(opts);
    const db = new MemoryLevel<Buffer, Buffer>({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    return StateStore.#init(db as unknown as Db, opts);
  }

  static async #init(db: Db, opts: StateStoreOptions): Promise<StateStore> {
    const meta = await db.get(META_KEY);
    let height = 0;
    let pruneNext = 1;
    if (meta !== undefined) {
      if (meta[0] !== FORMAT || meta.length !== 9) {
        await db.close();
        throw new StoreError(
          'CORRUPT_STORE',
          `unknown store format ${meta[0]}; this directory was not written by this version`,
        );
      }
      height = meta.readUInt32BE(1);
      pruneNext = meta.readUInt32BE(5);
    }
    const store = new StateStore(db, opts, height, pruneNext);
    for await (const [k, v] of db.iterator({ gte: heightKey(P_ROOT, 0), lt: Buffer.from([P_ROOT + 1]) })) {
      const version = v.readUInt32BE(0);
      const hash = Buffer.from(v.subarray(4, 36));
      store.#roots.set(k.readUInt32BE(1), {
        ref: version === 0 ? undefined : { hash: hash.toString('latin1'), version, leaf: false },
        hash,
      });
    }
    if (height > 0 && !store.#roots.has(height)) {
      await db.close();
      throw new StoreError(
        'CORRUPT_STORE',
        `store meta says height ${height} but its root record is missing`,
      );
    }
    return store;
  }

  /** Last committed height (0 = nothing committed). */
  get height(): number {
    return this.#height;
  }

  /** State root at the last committed height. */
  get root(): Uint8Array {
    return copy(this.#rootAt(this.#height).hash);
  }

  /** Oldest height still readable through `at()` / `prove()`. */
  get oldestHeight(): number {
    return this.#oldest();
  }

  /** Reader that always reads the last committed height (at the moment of each call). */
  latest(): StateReader {
    return {
      get: (key) => this.#get(undefined, key),
      getMany: (keys) => this.#getManyLatest(keys),
      iterate: (prefix, opts = {}) => this.#iterate(undefined, prefix, opts),
    };
  }

  /** Reader pinned to `height`; throws HEIGHT_PRUNED / HEIGHT_IN_FUTURE now and on later calls once pruned. */
  at(height: number): StateReader {
    this.#checkHeight(height);
    return {
      get: (key) => this.#get(height, key),
      iterate: (prefix, opts = {}) => this.#iterate(height, prefix, opts),
    };
  }

  /** Value of `key` at `height` (default latest) with an inclusion or absence proof against that height's root. */
  async prove(
    key: Uint8Array,
    height?: number,
  ): Promise<{ value: Uint8Array | undefined; proof: StateProof; root: Uint8Array }> {
    assertBytes(key, 'key');
    this.#assertOpen();
    const h = height ?? this.#height;
    this.#checkHeight(h);
    const root = this.#rootAt(h);
    if (root.ref === undefined) return { value: undefined, proof: { levels: [] }, root: copy(root.hash) };
    const keyHash = sha256s(key);
    const levels: { bitmap: number; siblings: Uint8Array[] }[] = [];
    let ref: ChildRef = root.ref;
    for (let depth = 0; ; depth++) {
      const node = await this.#node(ref, keyHash, depth, h);
      const n = nibbleAt(keyHash, depth);
      const { bitmap, siblings } = internalSiblings(node, n);
      levels.push({ bitmap, siblings: siblings.map(copy) });
      const child = internalChild(node, n);
      if (child === undefined) return { value: undefined, proof: { levels }, root: copy(root.hash) };
      if (child.leaf) {
        const leaf = decodeLeaf(await this.#node(child, keyHash, depth + 1, h));
        const proof = { levels, leaf: { keyHash: copy(leaf.keyHash), valueHash: copy(leaf.valueHash) } };
        const value = leaf.keyHash.toString('latin1') === keyHash ? copy(leaf.value) : undefined;
        return { value, proof, root: copy(root.hash) };
      }
      ref = child;
    }
  }

  /**
   * Computes the root for height = this.height + 1 after `writes`, writing nothing. A later
   * `prepare` supersedes this one (its commit then fails with STALE_PREPARE).
   *
   * PERF: reads only the tree paths of the written keys (one batched read per tree level, hot
   * internal nodes from the cache); O(keys written × log16 total keys) hashes.
   */
  async prepare(writes: StateWrites): Promise<PreparedCommit> {
    this.#assertOpen();
    if (!(writes instanceof Map))
      throw new StoreError('INVALID_KEY', 'prepare expects a Map of hex key → value | null');
    while (this.#committing) await this.#committing;
    const seq = ++this.#prepareSeq;
    const base = this.#height;
    if (base >= MAX_HEIGHT) throw new StoreError('INVALID_OPTION', 'height limit (2^32 - 1) reached');
    const parsed: Array<{ key: Buffer; value: Buffer | null }> = [];
    for (const [hex, value] of writes) {
      if (typeof hex !== 'string' || !HEX.test(hex)) {
        throw new StoreError(
          'INVALID_KEY',
          `state write key ${JSON.stringify(hex)} is not lowercase hex without 0x`,
        );
      }
      if (value !== null && !(value instanceof Uint8Array)) {
        throw new StoreError(
          'INVALID_VALUE',
          `state write value for key ${hex} must be a Uint8Array or null (delete)`,
        );
      }
      parsed.push({ key: Buffer.from(hex, 'hex'), value: value === null ? null : Buffer.from(value) });
    }
    // base values of the written keys: from the value cache, else one batched read of the latest table
    const olds: Array<Buffer | null | undefined> = parsed.map((p) =>
      this.#values.get(p.key.toString('latin1')),
    );
    const misses: number[] = [];
    for (let i = 0; i < olds.length; i++) if (olds[i] === undefined) misses.push(i);
    if (misses.length > 0) {
      const got = await this.#db.getMany(misses.map((i) => prefixed(P_STATE, parsed[i]!.key)));
      misses.forEach((i, j) => {
        olds[i] = got[j] ?? null;
      });
    }
    if (seq !== this.#prepareSeq || base !== this.#height) {
      throw new StoreError(
        'STALE_PREPARE',
        'a concurrent prepare() or commit superseded this one; prepare again',
      );
    }
    const items: TreeItem[] = parsed.map(({ key, value }, i) => ({
      keyHash: sha256s(key),
      key,
      value,
      valueHash: value === null ? null : sha256s(value),
      old: olds[i]!,
    }));
    items.sort((a, b) => (a.keyHash < b.keyHash ? -1 : a.keyHash > b.keyHash ? 1 : 0));
    const baseRoot = this.#rootAt(base);
    const loaded = new Map<string, Buffer>();
    const byPosition = new Map<number, Buffer>();
    await this.#preload(baseRoot.ref, items, loaded, byPosition, base);
    const update = new TreeUpdate(
      items,
      base + 1,
      (_k, ks) => loaded.get(ks) ?? this.#cache.get(ks),
      byPosition,
    );
    let newRef: ChildRef | undefined;
    for (;;) {
      try {
        newRef = update.run(baseRoot.ref);
        break;
      } catch (e) {
        if (!(e instanceof MissingNodes)) throw e;
        await this.#fetchInto([...e.keys.values()], loaded, base);
      }
    }
    const state: PreparedState = {
      seq,
      base,
      version: base + 1,
      items,
      update,
      newRoot: newRef === undefined ? EMPTY : { ref: newRef, hash: Buffer.from(newRef.hash, 'latin1') },
      done: false,
    };
    const rootCopy = copy(state.newRoot.hash);
    return {
      height: base + 1,
      root: rootCopy,
      commit: (extra?: CommitExtra) => this.#commit(state, extra),
    };
  }

  /** A record written by `commit(extra)` (latest value; records are not versioned). */
  async getRecord(key: Uint8Array): Promise<Uint8Array | undefined> {
    assertBytes(key, 'record key');
    await this.#enterRead();
    try {
      const v = await this.#db.get(prefixed(P_RECORD, key));
      return v === undefined ? undefined : view(v);
    } finally {
      this.#exitRead();
    }
  }

  /** Records whose key starts with prefix, ordered as `StateReader.iterate`. */
  iterateRecords(prefix: Uint8Array, opts: IterateOptions = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    checkIterateOptions(prefix, opts);
    return this.#rangeIterate(P_RECORD, prefix, opts, undefined);
  }

  /** Waits for an in-flight commit, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#committing) await this.#committing;
    this.#closed = true;
    await this.#db.close();
  }

  // ---- internals ----

  #assertOpen(): void {
    if (this.#closed)
      throw new StoreError('STORE_CLOSED', 'the state store is closed; open it again to use it');
  }

  #oldest(): number {
    return Math.max(0, this.#height - this.#retain + 1, this.#pruneNext - 1);
  }

  #checkHeight(h: number): void {
    this.#assertOpen();
    if (!Number.isInteger(h) || h < 0)
      throw new StoreError('INVALID_OPTION', `height must be a non-negative integer, got ${h}`);
    if (h > this.#height) {
      throw new StoreError(
        'HEIGHT_IN_FUTURE',
        `height ${h} is not committed yet (latest is ${this.#height})`,
        {
          height: h,
          latest: this.#height,
        },
      );
    }
    const oldest = this.#oldest();
    if (h < oldest) {
      throw new StoreError(
        'HEIGHT_PRUNED',
        `height ${h} is older than the retained range ${oldest}..${this.#height} (retainHeights ${this.#retain}); query a recent height or open the store with a larger retainHeights`,
        { height: h, oldest, latest: this.#height },
      );
    }
  }

  #rootAt(h: number): RootInfo {
    if (h === 0) return EMPTY;
    const r = this.#roots.get(h);
    if (r === undefined)
      throw new StoreError('HEIGHT_PRUNED', `no root recorded for height ${h}`, { height: h });
    return r;
  }

  async #enterRead(): Promise<void> {
    this.#assertOpen();
    while (this.#committing) await this.#committing;
    this.#assertOpen();
    this.#inflight++;
  }

  #exitRead(): void {
    this.#inflight--;
    if (this.#inflight === 0 && this.#drained) {
      const done = this.#drained;
      this.#drained = null;
      done();
    }
  }

  /** A tree node by its parent's pointer; internal nodes go through the cache. */
  async #node(ref: ChildRef, pathSource: Hash, depth: number, h: number): Promise<Buffer> {
    const key = nodeKey(ref.version, pathSource, depth);
    const ks = key.toString('latin1');
    const cached = this.#cache.get(ks);
    if (cached !== undefined) return cached;
    const v = await this.#db.get(key);
    if (v === undefined) {
      this.#checkHeight(h);
      throw new StoreError('CORRUPT_STORE', `tree node missing at height ${h} (depth ${depth})`);
    }
    if (!ref.leaf) this.#cache.set(ks, v);
    return v;
  }

  async #fetchInto(keys: Buffer[], loaded: Map<string, Buffer>, h: number): Promise<void> {
    if (keys.length === 0) return;
    const values = await this.#db.getMany(keys);
    for (let i = 0; i < keys.length; i++) {
      const v = values[i];
      if (v === undefined) {
        this.#checkHeight(h);
        throw new StoreError('CORRUPT_STORE', `tree node ${keys[i]!.toString('hex')} missing at height ${h}`);
      }
      const ks = keys[i]!.toString('latin1');
      loaded.set(ks, v);
      if (v[0] === 1) this.#cache.set(ks, v);
    }
  }

  /** Loads, one batched read per level, every node on the paths of `items` (sorted by keyHash). */
  async #preload(
    root: ChildRef | undefined,
    items: TreeItem[],
    loaded: Map<string, Buffer>,
    byPosition: Map<number, Buffer>,
    h: number,
  ): Promise<void> {
    if (root === undefined || items.length === 0) return;
    type Entry = { ref: ChildRef; depth: number; lo: number; hi: number; ks: string };
    const entry = (ref: ChildRef, depth: number, lo: number, hi: number): Entry => ({
      ref,
      depth,
      lo,
      hi,
      ks: nodeKey(ref.version, items[lo]!.keyHash, depth).toString('latin1'),
    });
    let frontier: Entry[] = [entry(root, 0, 0, items.length)];
    while (frontier.length > 0) {
      // cached nodes are copied into `loaded` so the update pass looks them up in this small map
      const fetch: Buffer[] = [];
      for (const e of frontier) {
        if (loaded.has(e.ks)) continue;
        const cached = this.#cache.get(e.ks);
        if (cached === undefined) fetch.push(Buffer.from(e.ks, 'latin1'));
        else loaded.set(e.ks, cached);
      }
      await this.#fetchInto(fetch, loaded, h);
      const next: Entry[] = [];
      for (const e of frontier) {
        const node = loaded.get(e.ks)!;
        byPosition.set(TreeUpdate.positionOf(items.length, e.depth, e.lo), node);
        if (e.ref.leaf) continue;
        let i = e.lo;
        while (i < e.hi) {
          const n = nibbleAt(items[i]!.keyHash, e.depth);
          let j = i + 1;
          while (j < e.hi && nibbleAt(items[j]!.keyHash, e.depth) === n) j++;
          const child = internalChild(node, n);
          if (child !== undefined && (!child.leaf || leafReadNeeded(items, i, j))) {
            next.push(entry(child, e.depth + 1, i, j));
          }
          i = j;
        }
      }
      frontier = next;
    }
  }

  async #get(height: number | undefined, key: Uint8Array): Promise<Uint8Array | undefined> {
    assertBytes(key, 'key');
    await this.#enterRead();
    let h: number;
    try {
      h = height ?? this.#height;
      this.#checkHeight(h);
      if (h === this.#height) {
        const ks = Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
        const cached = this.#values.get(ks);
        if (cached !== undefined) return cached === null ? undefined : copy(cached);
        const v = await this.#db.get(prefixed(P_STATE, key));
        this.#values.set(ks, v ?? null);
        return v === undefined ? undefined : copy(v);
      }
    } finally {
      this.#exitRead();
    }
    return this.#treeGet(h, key);
  }

  /** Latest values of several keys in one LevelDB multi-get. */
  async #getManyLatest(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
    if (!Array.isArray(keys)) throw new StoreError('INVALID_KEY', 'getMany expects an array of keys');
    for (const k of keys) assertBytes(k, 'key');
    if (keys.length === 0) return [];
    await this.#enterRead();
    try {
      const values = await this.#db.getMany(keys.map((k) => prefixed(P_STATE, k)));
      return values.map((v) => (v === undefined ? undefined : view(v)));
    } finally {
      this.#exitRead();
    }
  }

  /** Value at a past height by walking that height's tree. PERF: O(log16 keys) node reads, mostly cached. */
  async #treeGet(h: number, key: Uint8Array): Promise<Uint8Array | undefined> {
    const root = this.#rootAt(h);
    if (root.ref === undefined) return undefined;
    const keyHash = sha256s(key);
    let ref: ChildRef = root.ref;
    for (let depth = 0; ; depth++) {
      const node = await this.#node(ref, keyHash, depth, h);
      if (ref.leaf) {
        const leaf = decodeLeaf(node);
        return leaf.keyHash.toString('latin1') === keyHash ? copy(leaf.value) : undefined;
      }
      const child = internalChild(node, nibbleAt(keyHash, depth));
      if (child === undefined) return undefined;
      ref = child;
    }
  }

  #iterate(
    height: number | undefined,
    prefix: Uint8Array,
    opts: IterateOptions,
  ): AsyncIterable<[Uint8Array, Uint8Array]> {
    checkIterateOptions(prefix, opts);
    return this.#rangeIterate(P_STATE, prefix, opts, height ?? null);
  }

  /**
   * Ordered range read over namespace `ns`. `height` null = latest state, a number = state at that
   * height (the latest table merged with the values, at that height, of keys written since),
   * undefined = records.
   *
   * PERF: latest: a LevelDB range scan. Past height h: plus the journals of heights h+1..latest and
   * one tree read per key written since h.
   */
  async *#rangeIterate(
    ns: number,
    prefix: Uint8Array,
    opts: IterateOptions,
    height: number | null | undefined,
  ): AsyncGenerator<[Uint8Array, Uint8Array]> {
    const range = rangeFor(ns, prefix, opts);
    const reverse = opts.reverse === true;
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    if (limit === 0) return;
    await this.#enterRead();
    let latest: number;
    let h: number;
    let it: ReturnType<Db['iterator']>;
    try {
      latest = this.#height;
      h = typeof height === 'number' ? height : latest;
      if (height !== undefined) this.#checkHeight(h);
      // the iterator takes its snapshot now, while no commit is in flight
      it = this.#db.iterator({
        ...range,
        reverse,
        ...(h === latest && Number.isFinite(limit) ? { limit } : {}),
      });
    } finally {
      this.#exitRead();
    }
    try {
      let overlay: Array<[Buffer, Uint8Array | undefined]> = [];
      const overridden = new Set<string>();
      if (h < latest) {
        const inRange = (k: Buffer): boolean => {
          const full = prefixed(ns, k);
          return (
            Buffer.compare(full, range.gte) >= 0 &&
            (range.lt ? Buffer.compare(full, range.lt) < 0 : Buffer.compare(full, range.lte!) <= 0)
          );
        };
        const changed = new Map<string, Buffer>();
        for (let s = h + 1; s <= latest; s++) {
          const j = await this.#db.get(heightKey(P_JOURNAL, s));
          if (j === undefined) continue;
          for (const k of decodeJournal(j).keys) if (inRange(k)) changed.set(k.toString('latin1'), k);
        }
        const keys = [...changed.values()].sort(Buffer.compare);
        if (reverse) keys.reverse();
        for (const k of keys) {
          overridden.add(k.toString('latin1'));
          overlay.push([k, await this.#treeGet(h, k)]);
        }
        overlay = overlay.filter(([, v]) => v !== undefined);
      }
      let emitted = 0;
      let oi = 0;
      const before = (a: Buffer, b: Buffer): boolean =>
        reverse ? Buffer.compare(a, b) > 0 : Buffer.compare(a, b) < 0;
      for (;;) {
        const batch = await it.nextv(256);
        for (const [fk, v] of batch as Array<[Buffer, Buffer]>) {
          const k = fk.subarray(1);
          while (oi < overlay.length && before(overlay[oi]![0], k)) {
            const [ok, ov] = overlay[oi++]!;
            yield [copy(ok), ov!];
            if (++emitted >= limit) return;
          }
          if (overridden.has(k.toString('latin1'))) continue;
          yield [copy(k), view(v)];
          if (++emitted >= limit) return;
        }
        if (batch.length === 0) break;
      }
      while (oi < overlay.length) {
        const [ok, ov] = overlay[oi++]!;
        yield [copy(ok), ov!];
        if (++emitted >= limit) return;
      }
    } finally {
      await it.close();
    }
  }

  async #commit(state: PreparedState, extra: CommitExtra | undefined): Promise<void> {
    this.#assertOpen();
    if (state.done)
      throw new StoreError('ALREADY_COMMITTED', `height ${state.version} was already committed`);
    if (state.seq !== this.#prepareSeq || state.base !== this.#height || this.#committing) {
      throw new StoreError(
        'STALE_PREPARE',
        `this prepared commit for height ${state.version} was superseded by a later prepare() or commit; prepare again`,
      );
    }
    const puts = extra?.puts ?? [];
    const dels = extra?.dels ?? [];
    for (const [k, v] of puts) {
      assertBytes(k, 'record key');
      if (!(v instanceof Uint8Array))
        throw new StoreError('INVALID_VALUE', 'record value must be a Uint8Array');
    }
    for (const k of dels) assertBytes(k, 'record key');
    state.done = true;
    let release!: () => void;
    this.#committing = new Promise<void>((r) => {
      release = r;
    });
    try {
      if (this.#inflight > 0) await new Promise<void>((r) => (this.#drained = r));
      const version = state.version;
      // prune: journals of heights whose stale nodes no reader can need any more, bounded per commit
      const oldestAfter = Math.min(Math.max(0, version - this.#retain + 1), version - 1);
      let pruneNext = this.#pruneNext;
      let budget = Math.max(10_000, 2 * state.update.stale.length);
      const pruned: Array<{ height: number; stale: Buffer[] }> = [];
      while (pruneNext <= oldestAfter && budget > 0) {
        const j = await this.#db.get(heightKey(P_JOURNAL, pruneNext));
        const stale = j === undefined ? [] : decodeJournal(j).stale;
        pruned.push({ height: pruneNext, stale });
        budget -= stale.length + 1;
        pruneNext++;
      }
      // one chained batch (cheaper per operation than an array batch), written atomically
      const batch = this.#db.batch();
      try {
        for (const it of state.items) {
          if (it.value === null) batch.del(prefixed(P_STATE, it.key));
          else batch.put(prefixed(P_STATE, it.key), it.value);
        }
        for (const [ks, bytes] of state.update.newNodes) batch.put(Buffer.from(ks, 'latin1'), bytes);
        const journal = encodeJournal(
          state.update.stale,
          state.items.map((i) => i.key),
        );
        batch.put(heightKey(P_JOURNAL, version), journal);
        const rootRecord = Buffer.alloc(36);
        rootRecord.writeUInt32BE(state.newRoot.ref?.version ?? 0, 0);
        state.newRoot.hash.copy(rootRecord, 4);
        batch.put(heightKey(P_ROOT, version), rootRecord);
        for (const { height, stale } of pruned) {
          for (const key of stale) batch.del(key);
          batch.del(heightKey(P_JOURNAL, height));
          if (height - 1 >= 1) batch.del(heightKey(P_ROOT, height - 1));
        }
        const meta = Buffer.alloc(9);
        meta[0] = FORMAT;
        meta.writeUInt32BE(version, 1);
        meta.writeUInt32BE(pruneNext, 5);
        batch.put(META_KEY, meta);
        for (const [k, v] of puts) batch.put(prefixed(P_RECORD, k), Buffer.from(v));
        for (const k of dels) batch.del(prefixed(P_RECORD, k));
      } catch (e) {
        await batch.close();
        throw e;
      }
      await batch.write({ sync: this.#sync });

      this.#height = version;
      this.#pruneNext = pruneNext;
      this.#roots.set(version, state.newRoot);
      for (const { height } of pruned) this.#roots.delete(height - 1);
      for (const [ks, bytes] of state.update.newNodes) if (bytes[0] === 1) this.#cache.set(ks, bytes);
      for (const it of state.items) this.#values.set(it.key.toString('latin1'), it.value);
    } catch (e) {
      state.done = false;
      throw e;
    } finally {
      this.#committing = null;
      release();
    }
  }
}

function checkOptions(opts: StateStoreOptions): void {
  const r = opts.retainHeights;
  if (r !== undefined && (!Number.isInteger(r) || r < 1)) {
    throw new StoreError('INVALID_OPTION', `retainHeights must be an integer ≥ 1, got ${r}`);
  }
  const e = opts.valueCacheEntries;
  if (e !== undefined && (!Number.isInteger(e) || e < 0)) {
    throw new StoreError('INVALID_OPTION', `valueCacheEntries must be a non-negative integer, got ${e}`);
  }
  const c = opts.cacheBytes;
  if (c !== undefined && (!Number.isInteger(c) || c < 0)) {
    throw new StoreError('INVALID_OPTION', `cacheBytes must be a non-negative integer, got ${c}`);
  }
}
