/**
 * Pure proof verification for the state tree (no I/O, browser-safe: only `@noble/hashes`).
 *
 * The tree is a 16-ary sparse Merkle tree over sha256(key) (Jellyfish-style, single-leaf subtrees
 * compacted into the leaf). See the package README for the hashing rules this file implements:
 *   leafHash     = sha256(0x00 ‖ keyHash ‖ sha256(value))
 *   internalHash = sha256(0x01 ‖ bitmap (u16 big-endian, bit i = child nibble i) ‖ child hashes in nibble order)
 *   empty tree   = EMPTY_ROOT (32 zero bytes)
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { StoreError } from './errors.js';

/** Root of the empty state (nothing committed, or everything deleted). */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(32);

/** One internal node on the path from the root to the key's slot. */
export interface ProofLevel {
  /** Children present in this node: bit i (value 1 << i) set when nibble i has a child. */
  readonly bitmap: number;
  /** Hashes of the present children except the one on the key's path, in nibble order. */
  readonly siblings: readonly Uint8Array[];
}

/**
 * Inclusion or absence proof for one key. `levels[0]` is the root. The key's slot is the child
 * `nibble(keyHash, levels.length - 1)` of the last level: either empty (absence) or holding `leaf`
 * (inclusion when `leaf.keyHash` is the key's hash, absence otherwise). An empty tree has no levels.
 */
export interface StateProof {
  readonly levels: readonly ProofLevel[];
  readonly leaf?: { readonly keyHash: Uint8Array; readonly valueHash: Uint8Array };
}

const nibble = (h: Uint8Array, depth: number): number => {
  const b = h[depth >> 1]!;
  return depth & 1 ? b & 15 : b >> 4;
};

const popcount16 = (x: number): number => {
  let n = 0;
  for (let v = x; v; v &= v - 1) n++;
  return n;
};

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** sha256(0x00 ‖ keyHash ‖ valueHash). */
export function hashLeaf(keyHash: Uint8Array, valueHash: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 0;
  buf.set(keyHash, 1);
  buf.set(valueHash, 33);
  return sha256(buf);
}

/** sha256(0x01 ‖ bitmap ‖ children), the children being the present ones in nibble order. */
export function hashInternal(bitmap: number, children: readonly Uint8Array[]): Uint8Array {
  const buf = new Uint8Array(3 + 32 * children.length);
  buf[0] = 1;
  buf[1] = bitmap >> 8;
  buf[2] = bitmap & 0xff;
  for (let i = 0; i < children.length; i++) buf.set(children[i]!, 3 + 32 * i);
  return sha256(buf);
}

/**
 * Checks `proof` against `root`: with `value` given, that `key` holds exactly `value`; with `value`
 * undefined, that `key` is absent. Returns false (never throws) on any malformed or tampered proof.
 *
 * PERF: one sha256 per level plus two; no I/O.
 */
export function verifyProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | undefined,
  proof: StateProof,
): boolean {
  try {
    if (!(root instanceof Uint8Array) || root.length !== 32 || !(key instanceof Uint8Array)) return false;
    const levels = proof.levels;
    if (!Array.isArray(levels) || levels.length > 64) return false;
    if (levels.length === 0)
      return proof.leaf === undefined && value === undefined && bytesEqual(root, EMPTY_ROOT);
    const keyHash = sha256(key);
    const depth = levels.length; // the slot's depth in nibbles
    const last = levels[depth - 1]!;
    let current: Uint8Array | undefined;
    if (proof.leaf !== undefined) {
      const { keyHash: leafKeyHash, valueHash } = proof.leaf;
      if (!(leafKeyHash instanceof Uint8Array) || leafKeyHash.length !== 32) return false;
      if (!(valueHash instanceof Uint8Array) || valueHash.length !== 32) return false;
      for (let d = 0; d < depth; d++) if (nibble(leafKeyHash, d) !== nibble(keyHash, d)) return false;
      if (bytesEqual(leafKeyHash, keyHash)) {
        if (value === undefined || !bytesEqual(sha256(value), valueHash)) return false;
      } else if (value !== undefined) return false;
      current = hashLeaf(leafKeyHash, valueHash);
    } else if (value !== undefined) return false;

    for (let d = depth - 1; d >= 0; d--) {
      const level = levels[d]!;
      const { bitmap, siblings } = level;
      if (!Number.isInteger(bitmap) || bitmap < 0 || bitmap > 0xffff || !Array.isArray(siblings))
        return false;
      for (const s of siblings) if (!(s instanceof Uint8Array) || s.length !== 32) return false;
      const n = nibble(keyHash, d);
      const bit = 1 << n;
      const count = popcount16(bitmap);
      let children: Uint8Array[];
      if (current === undefined) {
        // empty slot at the last level
        if (level !== last || bitmap & bit || siblings.length !== count || count === 0) return false;
        children = [...siblings];
      } else {
        if (!(bitmap & bit) || siblings.length !== count - 1) return false;
        const at = popcount16(bitmap & (bit - 1));
        children = [...siblings.slice(0, at), current, ...siblings.slice(at)];
      }
      current = hashInternal(bitmap, children);
    }
    return current !== undefined && bytesEqual(current, root);
  } catch {
    return false;
  }
}

const HEX = /^(?:[0-9a-f]{2})*$/;

function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

function fromHex(s: unknown, what: string, length?: number): Uint8Array {
  if (typeof s !== 'string' || !HEX.test(s) || (length !== undefined && s.length !== 2 * length)) {
    throw new StoreError(
      'INVALID_PROOF',
      `proof JSON: ${what} must be ${length ?? 'an even number of'} bytes as lowercase hex without 0x`,
    );
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** JSON form: `{ levels: [{ bitmap, siblings: [hex…] }…], leaf?: { keyHash: hex, valueHash: hex } }`. */
export function proofToJson(p: StateProof): unknown {
  const json: {
    levels: { bitmap: number; siblings: string[] }[];
    leaf?: { keyHash: string; valueHash: string };
  } = { levels: p.levels.map((l) => ({ bitmap: l.bitmap, siblings: l.siblings.map(toHex) })) };
  if (p.leaf) json.leaf = { keyHash: toHex(p.leaf.keyHash), valueHash: toHex(p.leaf.valueHash) };
  return json;
}

/** Parses the output of `proofToJson`; throws StoreError `INVALID_PROOF` on a malformed shape. */
export function proofFromJson(j: unknown): StateProof {
  const bad = (what: string): never => {
    throw new StoreError('INVALID_PROOF', `proof JSON: ${what}`);
  };
  if (typeof j !== 'object' || j === null) return bad('expected an object with a "levels" array');
  const o = j as { levels?: unknown; leaf?: unknown };
  if (!Array.isArray(o.levels)) return bad('"levels" must be an array');
  if (o.levels.length > 64) return bad('at most 64 levels');
  const levels: ProofLevel[] = o.levels.map((l: unknown, i: number) => {
    if (typeof l !== 'object' || l === null) return bad(`levels[${i}] must be an object`);
    const { bitmap, siblings } = l as { bitmap?: unknown; siblings?: unknown };
    if (typeof bitmap !== 'number' || !Number.isInteger(bitmap) || bitmap < 0 || bitmap > 0xffff) {
      return bad(`levels[${i}].bitmap must be an integer 0..65535`);
    }
    if (!Array.isArray(siblings) || siblings.length > 16)
      return bad(`levels[${i}].siblings must be an array`);
    return { bitmap, siblings: siblings.map((s, k) => fromHex(s, `levels[${i}].siblings[${k}]`, 32)) };
  });
  if (o.leaf === undefined) return { levels };
  if (typeof o.leaf !== 'object' || o.leaf === null) return bad('"leaf" must be an object');
  const { keyHash, valueHash } = o.leaf as { keyHash?: unknown; valueHash?: unknown };
  return {
    levels,
    leaf: {
      keyHash: fromHex(keyHash, 'leaf.keyHash', 32),
      valueHash: fromHex(valueHash, 'leaf.valueHash', 32),
    },
  };
}
