/**
 * The 16-ary sparse Merkle tree over sha256(key): node encoding, node keys and the batch update.
 * Hashing rules are those of `verify.ts` (same bytes, native sha256 here for speed).
 *
 * Node encodings (the hashed part is a prefix of the stored bytes, so a node hashes in one call):
 *   leaf     = 0x00 ‖ keyHash(32) ‖ valueHash(32) ‖ keyLen(u32) ‖ key ‖ value        hash = sha256(bytes[0..65))
 *   internal = 0x01 ‖ bitmap(u16) ‖ hash(32)×c ‖ leafmap(u16) ‖ version(u32)×c       hash = sha256(bytes[0..3+32c))
 * where c = popcount(bitmap), children in nibble order; leafmap marks children that are leaves and
 * version is the height at which the child node was written (its node key is (version, path)).
 */
import * as crypto from 'node:crypto';
import { StoreError } from './errors.js';

export const NODE_PREFIX = 0x02;

const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, enc: string) => string }).hash;

/**
 * A 32-byte hash held as a latin1 string (one char per byte). Native sha256 returns these about 2.5×
 * faster than Buffers and they cost the garbage collector no backing store; latin1 strings compare
 * like unsigned bytes.
 */
export type Hash = string;

/** Native sha256 as a latin1 string (one-shot `crypto.hash` where available). */
export const sha256s: (data: Uint8Array) => Hash = oneShot
  ? (data) => oneShot('sha256', data, 'latin1')
  : (data) => crypto.createHash('sha256').update(data).digest().toString('latin1');

type Latin1Buffer = Buffer & { latin1Slice?: (start: number, end: number) => string };
/** Bytes [start, end) of `b` as a latin1 string. */
export const latin1At = (b: Buffer, start: number, end: number): string => {
  const f = (b as Latin1Buffer).latin1Slice;
  return f ? f.call(b, start, end) : b.toString('latin1', start, end);
};

const writeHash = (dst: Buffer, off: number, h: Hash): void => {
  for (let k = 0; k < 32; k++) dst[off + k] = h.charCodeAt(k);
};

/**
 * Bump allocator for node bytes: Node's own pool hands out 8 KiB slabs, and creating those dominated
 * the allocation cost of a block's ~10^4 new nodes; 1 MiB slabs amortise it.
 */
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;
export function allocNode(size: number): Buffer {
  if (size > 64 * 1024) return Buffer.allocUnsafeSlow(size);
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(1024 * 1024);
    slabUsed = 0;
  }
  const b = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += (size + 7) & ~7;
  return b;
}

const copyBytes = (dst: Buffer, dstOff: number, src: Buffer, srcOff: number, n: number): void => {
  for (let k = 0; k < n; k++) dst[dstOff + k] = src[srcOff + k]!;
};

/** A pointer from a parent to a child node. */
export interface ChildRef {
  readonly hash: Hash;
  readonly version: number;
  readonly leaf: boolean;
}

export const nibbleAt = (h: Hash, depth: number): number => {
  const b = h.charCodeAt(depth >> 1);
  return depth & 1 ? b & 15 : b >> 4;
};

const popcount16 = (x: number): number => {
  let v = x - ((x >> 1) & 0x5555);
  v = (v & 0x3333) + ((v >> 2) & 0x3333);
  v = (v + (v >> 4)) & 0x0f0f;
  return (v + (v >> 8)) & 0x1f;
};

/**
 * Node key: 0x02 ‖ version(u32) ‖ depth(u8) ‖ first ceil(depth/2) bytes of the path (last nibble
 * masked when depth is odd). `pathSource` is any 32-byte key hash whose first `depth` nibbles are the path.
 */
export function nodeKey(version: number, pathSource: Hash, depth: number): Buffer {
  const len = (depth + 1) >> 1;
  const k = allocNode(6 + len);
  k[0] = NODE_PREFIX;
  k.writeUInt32BE(version, 1);
  k[5] = depth;
  for (let i = 0; i < len; i++) k[6 + i] = pathSource.charCodeAt(i);
  if (depth & 1) k[5 + len] = k[5 + len]! & 0xf0;
  return k;
}

/** A 32-byte path source equal to `pathSource` on its first `depth` nibbles followed by `nib`. */
export function childPath(pathSource: Hash, depth: number, nib: number): Hash {
  const p = Buffer.alloc(32);
  for (let i = 0; i < depth >> 1; i++) p[i] = pathSource.charCodeAt(i);
  if (depth & 1) p[depth >> 1] = (pathSource.charCodeAt(depth >> 1) & 0xf0) | nib;
  else p[depth >> 1] = nib << 4;
  return p.toString('latin1');
}

export function encodeLeaf(keyHash: Hash, valueHash: Hash, key: Uint8Array, value: Uint8Array): Buffer {
  const b = allocNode(69 + key.length + value.length);
  b[0] = 0;
  writeHash(b, 1, keyHash);
  writeHash(b, 33, valueHash);
  b.writeUInt32BE(key.length, 65);
  b.set(key, 69);
  b.set(value, 69 + key.length);
  return b;
}

export interface DecodedLeaf {
  keyHash: Buffer;
  valueHash: Buffer;
  key: Buffer;
  value: Buffer;
}

export function decodeLeaf(b: Buffer): DecodedLeaf {
  if (b[0] !== 0 || b.length < 69)
    throw new StoreError('CORRUPT_STORE', 'tree node is not a leaf as expected');
  const keyLen = b.readUInt32BE(65);
  return {
    keyHash: b.subarray(1, 33),
    valueHash: b.subarray(33, 65),
    key: b.subarray(69, 69 + keyLen),
    value: b.subarray(69 + keyLen),
  };
}

export const leafHashOf = (b: Buffer): Hash => sha256s(b.subarray(0, 65));

/** The key hash stored in a leaf's bytes. */
export const leafKeyHash = (b: Buffer): Hash => latin1At(b, 1, 33);

/** Encodes an internal node from its 16 child slots; returns bytes and hash. */
export function encodeInternal(children: readonly (ChildRef | undefined)[]): { bytes: Buffer; hash: Hash } {
  let bitmap = 0;
  let leafmap = 0;
  let c = 0;
  for (let i = 0; i < 16; i++) {
    const ch = children[i];
    if (ch) {
      bitmap |= 1 << i;
      if (ch.leaf) leafmap |= 1 << i;
      c++;
    }
  }
  const b = allocNode(5 + 36 * c);
  b[0] = 1;
  b.writeUInt16BE(bitmap, 1);
  const vOff = 5 + 32 * c;
  b.writeUInt16BE(leafmap, 3 + 32 * c);
  let j = 0;
  for (let i = 0; i < 16; i++) {
    const ch = children[i];
    if (!ch) continue;
    writeHash(b, 3 + 32 * j, ch.hash);
    b.writeUInt32BE(ch.version, vOff + 4 * j);
    j++;
  }
  return { bytes: b, hash: sha256s(b.subarray(0, 3 + 32 * c)) };
}

/**
 * Encodes a node equal to `old` except for the children in `touchedMask` (taken from `touched`,
 * undefined = removed); `bitmap` is the resulting set of children. Untouched children are copied as bytes.
 */
export function encodeInternalMerged(
  old: Buffer,
  touched: readonly (ChildRef | undefined)[],
  touchedMask: number,
  bitmap: number,
): { bytes: Buffer; hash: Hash } {
  const oldBitmap = old.readUInt16BE(1);
  const oldCount = popcount16(oldBitmap);
  const oldLeafmap = old.readUInt16BE(3 + 32 * oldCount);
  const oldVersions = 5 + 32 * oldCount;
  const c = popcount16(bitmap);
  const b = allocNode(5 + 36 * c);
  b[0] = 1;
  b.writeUInt16BE(bitmap, 1);
  const vOff = 5 + 32 * c;
  let leafmap = 0;
  let j = 0;
  let oj = 0;
  for (let n = 0; n < 16; n++) {
    const bit = 1 << n;
    const inOld = (oldBitmap & bit) !== 0;
    if (touchedMask & bit) {
      const ch = touched[n];
      if (ch) {
        writeHash(b, 3 + 32 * j, ch.hash);
        b.writeUInt32BE(ch.version, vOff + 4 * j);
        if (ch.leaf) leafmap |= bit;
        j++;
      }
    } else if (inOld) {
      copyBytes(b, 3 + 32 * j, old, 3 + 32 * oj, 32);
      copyBytes(b, vOff + 4 * j, old, oldVersions + 4 * oj, 4);
      if (oldLeafmap & bit) leafmap |= bit;
      j++;
    }
    if (inOld) oj++;
  }
  b.writeUInt16BE(leafmap, 3 + 32 * c);
  return { bytes: b, hash: sha256s(b.subarray(0, 3 + 32 * c)) };
}

export function internalBitmap(b: Buffer): number {
  if (b[0] !== 1) throw new StoreError('CORRUPT_STORE', 'tree node is not an internal node as expected');
  return b.readUInt16BE(1);
}

/** The child at nibble `n`, or undefined. */
export function internalChild(b: Buffer, n: number): ChildRef | undefined {
  const bitmap = internalBitmap(b);
  if (!(bitmap & (1 << n))) return undefined;
  const c = popcount16(bitmap);
  const j = popcount16(bitmap & ((1 << n) - 1));
  const leafmap = b.readUInt16BE(3 + 32 * c);
  return {
    hash: latin1At(b, 3 + 32 * j, 35 + 32 * j),
    version: b.readUInt32BE(5 + 32 * c + 4 * j),
    leaf: (leafmap & (1 << n)) !== 0,
  };
}

/** Hashes of the present children except nibble `n`, in nibble order (for proofs). */
export function internalSiblings(b: Buffer, n: number): { bitmap: number; siblings: Buffer[] } {
  const bitmap = internalBitmap(b);
  const siblings: Buffer[] = [];
  let j = 0;
  for (let i = 0; i < 16; i++) {
    if (!(bitmap & (1 << i))) continue;
    if (i !== n) siblings.push(b.subarray(3 + 32 * j, 35 + 32 * j));
    j++;
  }
  return { bitmap, siblings };
}

/** One state write of a block, with its key hash. `value` null deletes. */
export interface TreeItem {
  readonly keyHash: Hash;
  readonly key: Buffer;
  readonly value: Buffer | null;
  readonly valueHash: Hash | null;
  /**
   * The key's value in the base state (null = absent), read from the latest-state table. It tells
   * whether the leaf on the key's path is the key's own, so an update needs no read of the old leaf.
   */
  readonly old: Buffer | null;
}

/** Whether the leaf reached by items[lo..hi) must be read: none of them is in the tree, one is a put. */
export function leafReadNeeded(items: readonly TreeItem[], lo: number, hi: number): boolean {
  let put = false;
  for (let i = lo; i < hi; i++) {
    const it = items[i]!;
    if (it.old !== null) return false;
    if (it.value !== null) put = true;
  }
  return put;
}

/** Thrown inside a compute pass when nodes must be loaded first. */
export class MissingNodes {
  constructor(readonly keys: Map<string, Buffer>) {}
}

/** Result of a subtree whose nodes are not all loaded yet in this pass (nothing is decided on it). */
const INCOMPLETE: ChildRef = { hash: '', version: -1, leaf: false };

type Spec = { item: TreeItem; bytes?: undefined } | { item?: undefined; bytes: Buffer; keyHash: Hash };

/**
 * Computes the tree after applying `items` (sorted by keyHash, unique) to the tree whose root is
 * `root`, writing new nodes with `version`. Pure and synchronous: nodes come from `lookup`; when some
 * are not available the pass records them and `run()` throws MissingNodes, so the caller loads them
 * and runs again.
 *
 * PERF: visits only the paths of the written keys: O(keys written × depth) node visits and hashes.
 */
export class TreeUpdate {
  readonly newNodes = new Map<string, Buffer>();
  readonly stale: Buffer[] = [];
  private missing = new Map<string, Buffer>();

  /**
   * @param preloaded nodes already read for the walk, by position: `depth * (items.length + 1) + lo`
   *   where items[lo..) is the range that reaches the node (see `positionOf`); avoids string keys.
   */
  constructor(
    private readonly items: readonly TreeItem[],
    private readonly version: number,
    private readonly lookup: (key: Buffer, keyStr: string) => Buffer | undefined,
    private readonly preloaded?: Map<number, Buffer>,
  ) {}

  /** Position key of the node reached at `depth` by items[lo..). */
  static positionOf(itemCount: number, depth: number, lo: number): number {
    return depth * (itemCount + 1) + lo;
  }

  private loadAt(ref: ChildRef, pathSource: Hash, depth: number, lo: number): Buffer | undefined {
    const pre = this.preloaded?.get(depth * (this.items.length + 1) + lo);
    return pre ?? this.load(ref.version, pathSource, depth);
  }

  run(root: ChildRef | undefined): ChildRef | undefined {
    this.newNodes.clear();
    this.stale.length = 0;
    this.missing = new Map();
    const result = this.update(root, 0, 0, this.items.length);
    if (this.missing.size > 0) throw new MissingNodes(this.missing);
    return result;
  }

  private load(version: number, pathSource: Hash, depth: number): Buffer | undefined {
    const key = nodeKey(version, pathSource, depth);
    const ks = key.toString('latin1');
    const got = this.lookup(key, ks);
    if (got === undefined) this.missing.set(ks, key);
    return got;
  }

  private markStale(version: number, pathSource: Hash, depth: number): void {
    this.stale.push(nodeKey(version, pathSource, depth));
  }

  private update(ref: ChildRef | undefined, depth: number, lo: number, hi: number): ChildRef | undefined {
    if (lo >= hi) return ref;
    const items = this.items;
    const pathSource = items[lo]!.keyHash;
    if (ref === undefined) {
      const specs: Spec[] = [];
      for (let i = lo; i < hi; i++) if (items[i]!.value !== null) specs.push({ item: items[i]! });
      return this.build(depth, pathSource, specs, 0, specs.length);
    }
    if (ref.leaf) {
      // one of the items already in the tree ⇒ the leaf here is that key's own leaf: no read needed
      let own = -1;
      let live = 0;
      for (let i = lo; i < hi; i++) {
        const it = items[i]!;
        if (it.old !== null && own < 0) own = i;
        if (it.value !== null) live++;
      }
      if (own >= 0) {
        const it = items[own]!;
        if (live === 1 && it.value !== null && it.value.equals(it.old!)) return ref;
        this.markStale(ref.version, pathSource, depth);
        const specs: Spec[] = [];
        for (let i = lo; i < hi; i++) if (items[i]!.value !== null) specs.push({ item: items[i]! });
        return this.build(depth, pathSource, specs, 0, specs.length);
      }
      if (live === 0) return ref; // only deletes of absent keys
      const bytes = this.loadAt(ref, pathSource, depth, lo);
      if (bytes === undefined) return INCOMPLETE;
      const existingKeyHash = leafKeyHash(bytes);
      const existingValueHash = latin1At(bytes, 33, 65);
      const existing: Spec = { bytes, keyHash: existingKeyHash };
      const specs: Spec[] = [];
      let placed = false;
      let unchanged = true;
      for (let i = lo; i < hi; i++) {
        const it = items[i]!;
        if (!placed) {
          const cmp = existingKeyHash < it.keyHash ? -1 : existingKeyHash > it.keyHash ? 1 : 0;
          if (cmp < 0) {
            specs.push(existing);
            placed = true;
          } else if (cmp === 0) {
            placed = true;
            if (it.value !== null && it.valueHash === existingValueHash) specs.push(existing);
            else {
              unchanged = false;
              if (it.value !== null) specs.push({ item: it });
            }
            continue;
          }
        }
        if (it.value !== null) {
          specs.push({ item: it });
          unchanged = false;
        }
      }
      if (!placed) specs.push(existing);
      if (unchanged) return ref;
      this.markStale(ref.version, pathSource, depth);
      return this.build(depth, pathSource, specs, 0, specs.length);
    }
    const node = this.loadAt(ref, pathSource, depth, lo);
    if (node === undefined) return INCOMPLETE;
    // only the touched children are decoded; the others are copied from the old node's bytes
    const touched: (ChildRef | undefined)[] = new Array(16);
    let touchedMask = 0;
    let incomplete = false;
    let i = lo;
    while (i < hi) {
      const n = nibbleAt(items[i]!.keyHash, depth);
      let j = i + 1;
      while (j < hi && nibbleAt(items[j]!.keyHash, depth) === n) j++;
      const old = internalChild(node, n);
      const next = this.update(old, depth + 1, i, j);
      if (next === INCOMPLETE) incomplete = true;
      else if (next !== old) {
        touched[n] = next;
        touchedMask |= 1 << n;
      }
      i = j;
    }
    if (incomplete) return INCOMPLETE;
    if (touchedMask === 0) return ref;
    this.markStale(ref.version, pathSource, depth);
    let bitmap = internalBitmap(node) & ~touchedMask;
    for (let n = 0; n < 16; n++) if (touched[n]) bitmap |= 1 << n;
    if (bitmap === 0) return undefined;
    if (depth > 0 && (bitmap & (bitmap - 1)) === 0) {
      const only = 31 - Math.clz32(bitmap);
      const child = touched[only] ?? internalChild(node, only)!;
      if (child.leaf)
        return this.relocateLeaf(child, childPath(pathSource, depth, only), depth + 1, pathSource, depth);
    }
    const { bytes, hash } = encodeInternalMerged(node, touched, touchedMask, bitmap);
    this.newNodes.set(nodeKey(this.version, pathSource, depth).toString('latin1'), bytes);
    return { hash, version: this.version, leaf: false };
  }

  /** Moves a leaf from (from, fromDepth) up to (to, toDepth) when its siblings are gone. */
  private relocateLeaf(ref: ChildRef, from: Hash, fromDepth: number, to: Hash, toDepth: number): ChildRef {
    let bytes: Buffer | undefined;
    if (ref.version === this.version) {
      const ks = nodeKey(this.version, from, fromDepth).toString('latin1');
      bytes = this.newNodes.get(ks);
      if (bytes === undefined)
        throw new StoreError('CORRUPT_STORE', 'relocated leaf missing from this block');
      this.newNodes.delete(ks);
    } else {
      bytes = this.load(ref.version, from, fromDepth);
      if (bytes === undefined) return INCOMPLETE;
      this.markStale(ref.version, from, fromDepth);
    }
    this.newNodes.set(nodeKey(this.version, to, toDepth).toString('latin1'), bytes);
    return { hash: ref.hash, version: this.version, leaf: true };
  }

  private writeInternal(children: (ChildRef | undefined)[], pathSource: Hash, depth: number): ChildRef {
    const { bytes, hash } = encodeInternal(children);
    this.newNodes.set(nodeKey(this.version, pathSource, depth).toString('latin1'), bytes);
    return { hash, version: this.version, leaf: false };
  }

  /** Builds the canonical subtree at (pathSource, depth) holding specs[lo..hi). The root stays internal. */
  private build(
    depth: number,
    pathSource: Hash,
    specs: Spec[],
    lo: number,
    hi: number,
  ): ChildRef | undefined {
    if (lo >= hi) return undefined;
    if (depth >= 64)
      throw new StoreError('CORRUPT_STORE', 'two tree entries share a key hash (duplicate write?)');
    if (hi - lo === 1 && depth > 0) {
      const s = specs[lo]!;
      let bytes: Buffer;
      if (s.bytes) bytes = s.bytes;
      else bytes = encodeLeaf(s.item.keyHash, s.item.valueHash!, s.item.key, s.item.value!);
      this.newNodes.set(nodeKey(this.version, pathSource, depth).toString('latin1'), bytes);
      return { hash: leafHashOf(bytes), version: this.version, leaf: true };
    }
    const children: (ChildRef | undefined)[] = new Array(16).fill(undefined);
    let i = lo;
    while (i < hi) {
      const kh = specKeyHash(specs[i]!);
      const n = nibbleAt(kh, depth);
      let j = i + 1;
      while (j < hi && nibbleAt(specKeyHash(specs[j]!), depth) === n) j++;
      children[n] = this.build(depth + 1, kh, specs, i, j);
      i = j;
    }
    return this.writeInternal(children, pathSource, depth);
  }
}

const specKeyHash = (s: Spec): Hash => (s.bytes ? s.keyHash : s.item.keyHash);
