import { compareBytes, fromHex, toHexRaw } from '@openledger/core';
import type { IterateOptions, StateReader, StateWrites } from './types.js';

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

function inRange(key: Uint8Array, prefix: Uint8Array, opts: IterateOptions): boolean {
  if (!startsWith(key, prefix)) return false;
  if (opts.gte && compareBytes(key, opts.gte) < 0) return false;
  if (opts.lte && compareBytes(key, opts.lte) > 0) return false;
  return true;
}

/**
 * A copy-on-write layer over a reader. Writes stay here until `commitTo` merges them into the
 * parent overlay, or the layer is dropped (that is how a failed message rolls back).
 * PERF: get is O(1) over the parent; iterate merges the layer's sorted matching keys with the parent.
 */
export class Overlay implements StateReader {
  readonly writes: StateWrites = new Map();
  /**
   * Values read from a parent that is not an overlay (committed state, which does not change while
   * a context over it lives: blocks are applied, then committed). PERF: a key read several times in
   * a block (parameters, the fee collector, a sender's nonce) costs one database read.
   */
  private readonly reads: Map<string, Uint8Array | undefined> | undefined;
  private readonly parentOverlay: Overlay | undefined;

  constructor(readonly parent: StateReader) {
    this.parentOverlay = parent instanceof Overlay ? parent : undefined;
    this.reads = this.parentOverlay ? undefined : new Map();
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.getHex(toHexRaw(key), key);
  }

  /** `get` with the key's hex already computed (overlays pass it down to their parents). */
  getHex(hex: string, key: Uint8Array): Promise<Uint8Array | undefined> {
    const w = this.writes.get(hex);
    if (w !== undefined) return Promise.resolve(w === null ? undefined : w);
    if (this.parentOverlay) return this.parentOverlay.getHex(hex, key);
    const reads = this.reads!;
    if (reads.has(hex)) return Promise.resolve(reads.get(hex));
    return this.parent.get(key).then((v) => {
      reads.set(hex, v);
      return v;
    });
  }

  /**
   * Warms the read cache with one batched read of `keys` (when the parent reader supports it).
   * Only a performance hint: every later `get` answers exactly as without it.
   */
  async prefetch(keys: Uint8Array[]): Promise<void> {
    if (this.parentOverlay) return this.parentOverlay.prefetch(keys);
    const getMany = this.parent.getMany;
    if (!getMany) return;
    const reads = this.reads!;
    const todo: Uint8Array[] = [];
    const hexes: string[] = [];
    const seen = new Set<string>();
    for (const k of keys) {
      const hex = toHexRaw(k);
      if (reads.has(hex) || this.writes.has(hex) || seen.has(hex)) continue;
      seen.add(hex);
      todo.push(k);
      hexes.push(hex);
    }
    if (todo.length === 0) return;
    const values = await getMany.call(this.parent, todo);
    for (let i = 0; i < hexes.length; i++) if (!reads.has(hexes[i]!)) reads.set(hexes[i]!, values[i]);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.writes.set(toHexRaw(key), value);
  }

  delete(key: Uint8Array): void {
    this.writes.set(toHexRaw(key), null);
  }

  /** Moves this layer's writes into `target` (normally the parent) and clears them. */
  commitTo(target: Overlay): void {
    for (const [k, v] of this.writes) target.writes.set(k, v);
    this.writes.clear();
  }

  async *iterate(prefix: Uint8Array, opts: IterateOptions = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    const reverse = opts.reverse === true;
    const local: Array<[Uint8Array, Uint8Array | null]> = [];
    for (const [hex, value] of this.writes) {
      const key = fromHex(hex);
      if (inRange(key, prefix, opts)) local.push([key, value]);
    }
    local.sort((a, b) => (reverse ? compareBytes(b[0], a[0]) : compareBytes(a[0], b[0])));
    const { limit, ...rest } = opts;
    const parentIter = this.parent.iterate(prefix, rest)[Symbol.asyncIterator]();
    let parentNext = await parentIter.next();
    let i = 0;
    let yielded = 0;
    const max = limit ?? Number.POSITIVE_INFINITY;
    const before = (a: Uint8Array, b: Uint8Array) =>
      reverse ? compareBytes(a, b) > 0 : compareBytes(a, b) < 0;
    while (yielded < max) {
      const l = local[i];
      if (parentNext.done && !l) break;
      if (l && (parentNext.done || !before(parentNext.value[0], l[0]))) {
        if (!parentNext.done && compareBytes(parentNext.value[0], l[0]) === 0)
          parentNext = await parentIter.next();
        i++;
        if (l[1] !== null) {
          yielded++;
          yield [l[0], l[1]];
        }
        continue;
      }
      if (!parentNext.done) {
        yielded++;
        yield parentNext.value;
        parentNext = await parentIter.next();
      }
    }
    await parentIter.return?.();
  }
}

/**
 * A reader over an in-memory map with a sorted key index; used for genesis, tests, simulations and
 * benchmarks. Change it only through `apply` (the index follows the writes).
 * PERF: get O(1); iterate O(log n + entries visited); apply O(writes × log n), plus an O(n) splice per
 * new or deleted key (a full re-sort when a batch adds many keys).
 */
export class MemoryState implements StateReader {
  readonly data = new Map<string, Uint8Array>();
  /** Keys of `data` as lowercase hex in ascending order (hex order is unsigned byte order). */
  private sorted: string[] = [];

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.data.get(toHexRaw(key));
  }

  apply(writes: StateWrites): void {
    const added: string[] = [];
    const removed: string[] = [];
    for (const [k, v] of writes) {
      if (v === null) {
        if (this.data.delete(k)) removed.push(k);
      } else {
        if (!this.data.has(k)) added.push(k);
        this.data.set(k, v);
      }
    }
    if (added.length + removed.length > 64 && added.length + removed.length > this.sorted.length / 64) {
      this.sorted = [...this.data.keys()].sort();
      return;
    }
    for (const k of removed) {
      const i = lowerBound(this.sorted, k);
      if (this.sorted[i] === k) this.sorted.splice(i, 1);
    }
    for (const k of added) this.sorted.splice(lowerBound(this.sorted, k), 0, k);
  }

  private keys(): string[] {
    if (this.sorted.length !== this.data.size) this.sorted = [...this.data.keys()].sort();
    return this.sorted;
  }

  async *iterate(prefix: Uint8Array, opts: IterateOptions = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    const keys = this.keys();
    const prefixHex = toHexRaw(prefix);
    const gte = opts.gte ? toHexRaw(opts.gte) : undefined;
    const lte = opts.lte ? toHexRaw(opts.lte) : undefined;
    // 'g' sorts after every hex digit: the first key past all keys that start with the prefix
    let end = lowerBound(keys, `${prefixHex}g`);
    if (lte !== undefined) end = Math.min(end, upperBound(keys, lte));
    const start = lowerBound(keys, gte !== undefined && gte > prefixHex ? gte : prefixHex);
    const limit = opts.limit ?? Number.POSITIVE_INFINITY;
    const selected: string[] = [];
    if (opts.reverse)
      for (let i = end - 1; i >= start && selected.length < limit; i--) selected.push(keys[i]!);
    else for (let i = start; i < end && selected.length < limit; i++) selected.push(keys[i]!);
    // snapshot the selection first, so a caller that writes through `apply` meanwhile is safe
    for (const k of selected) {
      const value = this.data.get(k);
      if (value !== undefined) yield [fromHex(k), value];
    }
  }
}

/** First index whose key is >= `key`. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is > `key`. */
function upperBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
