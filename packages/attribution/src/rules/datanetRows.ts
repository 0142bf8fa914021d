/**
 * A Datanet's accepted contributions as the off-chain side keeps them: rows, the version tree and the
 * approval heights, giving version roots and two-level row proofs. I/O-free (the index persists it).
 */
import { type Hex, normalizeAddress, normalizeBytes32 } from './bytes.js';
import { AttributionError } from './errors.js';
import { merklePath } from './merkle.js';
import type { RowProof } from './rowProof.js';
import { rowHash, rowsRoot } from './rows.js';
import { VersionTree, versionLeaf } from './versions.js';

export interface Contribution {
  contributor: Hex;
  /** The version this contribution's approval created. */
  version: number;
  firstRow: number;
  /** Row bytes, in order. */
  rows: Uint8Array[];
  rowsRoot: Uint8Array;
  /** Block height of the approval. */
  approvalHeight: bigint;
}

const encoder = new TextEncoder();

export class DatanetRows {
  readonly id: Hex;
  readonly tree = new VersionTree();
  readonly contributions: Contribution[] = [];
  private rowCount = 0;

  constructor(id: Hex | Uint8Array) {
    this.id = normalizeBytes32(id);
  }

  /** Number of versions (= contributions approved). */
  get versions(): number {
    return this.contributions.length;
  }

  /** Number of accepted rows in version `version` (default: the latest). */
  rowsInVersion(version = this.versions): number {
    if (version === 0) return 0;
    const c = this.contribution(version);
    return c.firstRow + c.rows.length;
  }

  /**
   * Appends an approved contribution as the next version. Approval heights never decrease.
   * PERF: O(rows) hashing plus O(log versions) for the version tree.
   */
  approve(
    contributor: Hex | string,
    rows: readonly (string | Uint8Array)[],
    approvalHeight: bigint,
  ): Contribution {
    if (rows.length === 0) throw new AttributionError('NO_ROWS', 'a contribution with no rows is refused');
    const last = this.contributions.at(-1);
    if (last !== undefined && approvalHeight < last.approvalHeight) {
      throw new AttributionError(
        'INVALID_ARGUMENT',
        `approval height ${approvalHeight} is below the previous version's ${last.approvalHeight}`,
      );
    }
    const bytes = rows.map((r) => (typeof r === 'string' ? encoder.encode(r) : r));
    const c: Contribution = {
      contributor: normalizeAddress(contributor),
      version: this.contributions.length + 1,
      firstRow: this.rowCount,
      rows: bytes,
      rowsRoot: rowsRoot(bytes),
      approvalHeight,
    };
    this.tree.append(
      versionLeaf({
        contributor: c.contributor,
        version: c.version,
        firstRow: c.firstRow,
        rowCount: bytes.length,
        rowsRoot: c.rowsRoot,
      }),
    );
    this.contributions.push(c);
    this.rowCount += bytes.length;
    return c;
  }

  contribution(version: number): Contribution {
    const c = this.contributions[version - 1];
    if (c === undefined || !Number.isInteger(version)) {
      throw new AttributionError(
        'UNKNOWN_VERSION',
        `Datanet ${this.id} has no version ${version} (it has 1..${this.versions}; version 0 cannot be pinned)`,
      );
    }
    return c;
  }

  /** The contribution holding global row `rowIndex` (binary search). */
  contributionOfRow(rowIndex: number): Contribution {
    let lo = 0;
    let hi = this.contributions.length - 1;
    if (rowIndex < 0 || rowIndex >= this.rowCount || !Number.isInteger(rowIndex)) {
      throw new AttributionError('INVALID_ARGUMENT', `row ${rowIndex} does not exist in Datanet ${this.id}`);
    }
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.contributions[mid]!.firstRow <= rowIndex) lo = mid;
      else hi = mid - 1;
    }
    return this.contributions[lo]!;
  }

  row(rowIndex: number): Uint8Array {
    const c = this.contributionOfRow(rowIndex);
    return c.rows[rowIndex - c.firstRow]!;
  }

  root(version: number): Uint8Array {
    this.contribution(version);
    return this.tree.root(version);
  }

  /** Two-level row proof of global row `rowIndex` against version `version`. */
  rowProof(rowIndex: number, version: number): RowProof {
    const c = this.contributionOfRow(rowIndex);
    if (c.version > version) {
      throw new AttributionError(
        'INVALID_ARGUMENT',
        `row ${rowIndex} was accepted in version ${c.version}, after ${version}`,
      );
    }
    return {
      contributor: c.contributor,
      contributionVersion: BigInt(c.version),
      firstRow: BigInt(c.firstRow),
      rowCount: BigInt(c.rows.length),
      rowPath: merklePath(c.rows.map(rowHash), rowIndex - c.firstRow),
      versionPath: this.tree.inclusionProof(c.version, version),
    };
  }
}
