/**
 * RFC 6962 Merkle trees (DESIGN §4.4 *fixed*): leaf hashes are given (0x00‖row for rows, the 0x02 version
 * leaf for versions), inner node = sha256(0x01 ‖ left ‖ right). Audit paths and their verification
 * follow RFC 9162 §2.1.3.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AttributionError } from './errors.js';

export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(65);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 33);
  return sha256(buf);
}

/** Largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over already-hashed leaves. An empty list has no root here (a contribution needs rows). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new AttributionError('NO_ROWS', 'a Merkle tree needs at least one leaf');
  let level = leaves.slice();
  // Bottom-up pairing yields the RFC 6962 shape: an odd last node is promoted unchanged.
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashNode(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/**
 * The RFC 6962 audit path PATH(m, D[0:n]) of leaf `index` in a tree of the given leaves, from the leaf
 * upwards. PERF: O(n) hashing.
 */
export function merklePath(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new AttributionError(
      'INVALID_ARGUMENT',
      `leaf index ${index} is outside a tree of ${leaves.length} leaves`,
    );
  }
  return pathOf((start, size) => merkleRoot(leaves.slice(start, start + size)), index, leaves.length);
}

/** PATH(m, n) given a function that hashes the subtree of `size` leaves starting at `start`. */
export function pathOf(
  subtree: (start: number, size: number) => Uint8Array,
  index: number,
  size: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  let n = size;
  let m = index;
  // Walk down, recording siblings top-down, then reverse to leaf-up order.
  while (n > 1) {
    const k = splitPoint(n);
    if (m < k) {
      out.push(subtree(start + k, n - k));
      n = k;
    } else {
      out.push(subtree(start, k));
      start += k;
      m -= k;
      n -= k;
    }
  }
  return out.reverse();
}

/**
 * Recomputes the root from a leaf hash and its audit path (RFC 9162 §2.1.3.2). Returns null when the
 * path has the wrong length for (index, size).
 */
export function rootFromPath(
  leaf: Uint8Array,
  index: number,
  size: number,
  path: readonly Uint8Array[],
): Uint8Array | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (p.length !== 32) return null;
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = hashNode(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashNode(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}
