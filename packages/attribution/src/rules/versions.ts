/**
 * Datanet versions (DESIGN §4.4 *fixed*): each approval appends the leaf
 * sha256(0x02 ‖ contributor(20) ‖ version u64BE ‖ firstRow u64BE ‖ rowCount u64BE ‖ rowsRoot) to an
 * append-only RFC 6962 tree; version n is the tree of the first n leaves (versions start at 1).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, hexToBytes, u64be } from './bytes.js';
import { AttributionError } from './errors.js';
import { hashNode, pathOf, rootFromPath } from './merkle.js';

export interface VersionLeafFields {
  /** 20-byte contributor address (bytes or hex). */
  contributor: Uint8Array | string;
  /** The version this leaf creates (1-based: leaf index + 1). */
  version: bigint | number;
  /** Global 0-based index of the contribution's first row among the Datanet's accepted rows. */
  firstRow: bigint | number;
  rowCount: bigint | number;
  rowsRoot: Uint8Array;
}

export function versionLeaf(fields: VersionLeafFields): Uint8Array {
  const contributor =
    typeof fields.contributor === 'string' ? hexToBytes(fields.contributor, 20) : fields.contributor;
  if (contributor.length !== 20)
    throw new AttributionError('INVALID_ARGUMENT', 'contributor must be 20 bytes');
  if (fields.rowsRoot.length !== 32)
    throw new AttributionError('INVALID_ARGUMENT', 'rowsRoot must be 32 bytes');
  if (BigInt(fields.rowCount) < 1n)
    throw new AttributionError('NO_ROWS', 'a contribution with no rows is refused');
  return sha256(
    concatBytes(
      Uint8Array.of(0x02),
      contributor,
      u64be(fields.version),
      u64be(fields.firstRow),
      u64be(fields.rowCount),
      fields.rowsRoot,
    ),
  );
}

/**
 * The right frontier of an append-only RFC 6962 tree: the roots of its perfect subtrees, largest (leftmost)
 * first, one per set bit of `size`. This is all the chain needs to store to append and to give the root.
 */
export interface Frontier {
  size: number;
  nodes: Uint8Array[];
}

export const EMPTY_FRONTIER: Frontier = Object.freeze({ size: 0, nodes: [] }) as Frontier;

/** Appends a leaf hash. PERF: O(log n) hashes. Returns a new frontier (the input is not changed). */
export function appendToFrontier(frontier: Frontier, leaf: Uint8Array): Frontier {
  const nodes = frontier.nodes.slice();
  let node = leaf;
  let size = frontier.size;
  // merge while the lowest subtree has the same size as the new node
  while (size & 1) {
    node = hashNode(nodes.pop()!, node);
    size >>>= 1;
  }
  nodes.push(node);
  return { size: frontier.size + 1, nodes };
}

/** The tree root from its frontier. PERF: O(log n). */
export function frontierRoot(frontier: Frontier): Uint8Array {
  if (frontier.size === 0)
    throw new AttributionError('UNKNOWN_VERSION', 'version 0 (the empty Datanet) has no root');
  let r = frontier.nodes[frontier.nodes.length - 1]!;
  for (let i = frontier.nodes.length - 2; i >= 0; i--) r = hashNode(frontier.nodes[i]!, r);
  return r;
}

/**
 * The full version tree (off-chain side): keeps every complete subtree hash, so appends cost O(log n)
 * amortised, and roots and inclusion proofs of any leaf in any version n cost O(log² n).
 */
export class VersionTree {
  /** levels[h][i] = root of the perfect subtree of 2^h leaves starting at leaf i·2^h. */
  private readonly levels: Uint8Array[][] = [[]];
  private readonly spines = new Map<string, Uint8Array>();

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends a version leaf; returns the new version number. */
  append(leaf: Uint8Array): number {
    if (leaf.length !== 32) throw new AttributionError('INVALID_ARGUMENT', 'a version leaf is 32 bytes');
    this.levels[0]!.push(leaf);
    let h = 0;
    while (this.levels[h]!.length % 2 === 0) {
      const lv = this.levels[h]!;
      const parent = hashNode(lv[lv.length - 2]!, lv[lv.length - 1]!);
      if (this.levels[h + 1] === undefined) this.levels.push([]);
      this.levels[h + 1]!.push(parent);
      h++;
    }
    return this.size;
  }

  leaf(version: number): Uint8Array {
    this.checkVersion(version);
    return this.levels[0]![version - 1]!;
  }

  /** Root of version n (the tree of the first n leaves). */
  root(version: number): Uint8Array {
    this.checkVersion(version);
    return this.subtree(0, version);
  }

  /** Inclusion proof (leaf-up audit path) of the leaf of version `leafVersion` in the tree of version `version`. */
  inclusionProof(leafVersion: number, version: number): Uint8Array[] {
    this.checkVersion(version);
    if (!Number.isInteger(leafVersion) || leafVersion < 1 || leafVersion > version) {
      throw new AttributionError('INVALID_ARGUMENT', `leaf ${leafVersion} is not part of version ${version}`);
    }
    return pathOf((s, n) => this.subtree(s, n), leafVersion - 1, version);
  }

  private subtree(start: number, size: number): Uint8Array {
    if (size === 1) return this.levels[0]![start]!;
    if ((size & (size - 1)) === 0 && start % size === 0) {
      const h = 31 - Math.clz32(size);
      return this.levels[h]![start / size]!;
    }
    // Non-perfect subtrees are right spines [start, end) of some tree size: few, so they are memoised.
    const key = `${start}:${size}`;
    const hit = this.spines.get(key);
    if (hit !== undefined) return hit;
    let k = 1;
    while (k * 2 < size) k *= 2;
    const node = hashNode(this.subtree(start, k), this.subtree(start + k, size - k));
    if (this.spines.size > 4096) this.spines.clear();
    this.spines.set(key, node);
    return node;
  }

  private checkVersion(version: number): void {
    if (!Number.isInteger(version) || version < 1 || version > this.size) {
      throw new AttributionError(
        'UNKNOWN_VERSION',
        `version ${version} does not exist: versions run from 1 to ${this.size} (version 0 cannot be pinned)`,
      );
    }
  }
}

/** Verifies that `leaf` (of version `leafVersion`) is in the tree whose version-`version` root is `root`. */
export function verifyVersionInclusion(
  leaf: Uint8Array,
  leafVersion: number,
  version: number,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (leafVersion < 1 || leafVersion > version) return false;
  const r = rootFromPath(leaf, leafVersion - 1, version, path);
  return r !== null && r.length === root.length && r.every((b, i) => b === root[i]);
}
