/**
 * Two-level row proofs (DESIGN §4.4 *fixed*): a row's RFC 6962 path to its contribution's rowsRoot plus
 * that contribution leaf's path to the pinned version root. The leaf's fields name the row's contributor
 * and the version that accepted it.
 */
import { equalBytes, type Hex, hexToBytes, normalizeAddress } from './bytes.js';
import { AttributionError } from './errors.js';
import { rowsRootFromPath } from './rows.js';
import { verifyVersionInclusion, versionLeaf } from './versions.js';

export interface RowProof {
  /** Contributor named by the contribution leaf (lowercase hex, 20 bytes). */
  contributor: Hex;
  /** The version whose leaf is this row's contribution. */
  contributionVersion: bigint;
  /** Global index of the contribution's first row. */
  firstRow: bigint;
  rowCount: bigint;
  /** Row → rowsRoot, leaf-up. */
  rowPath: Uint8Array[];
  /** Contribution leaf → root of the pinned version, leaf-up. */
  versionPath: Uint8Array[];
}

export interface VerifyRowProofParameters {
  /** The row's exact UTF-8 bytes (or text). */
  row: Uint8Array | string;
  /** The row's global index in its Datanet. */
  rowIndex: bigint;
  proof: RowProof;
  /** The pinned version the proof is against, and its root. */
  version: bigint;
  versionRoot: Uint8Array;
}

/** Why a row proof failed, or null when it holds. PERF: O(log rows + log versions) hashes. */
export function rowProofError(p: VerifyRowProofParameters): string | null {
  const { proof } = p;
  if (proof.contributionVersion < 1n || proof.contributionVersion > p.version) {
    return `contribution version ${proof.contributionVersion} is not within pinned version ${p.version}`;
  }
  if (proof.rowCount < 1n) return 'contribution has no rows';
  if (p.rowIndex < proof.firstRow || p.rowIndex >= proof.firstRow + proof.rowCount) {
    return `row ${p.rowIndex} is not in the contribution's rows [${proof.firstRow}, ${proof.firstRow + proof.rowCount})`;
  }
  if (p.version > BigInt(Number.MAX_SAFE_INTEGER) || proof.rowCount > BigInt(Number.MAX_SAFE_INTEGER)) {
    return 'version or row count out of range';
  }
  const rowsRoot = rowsRootFromPath(
    p.row,
    Number(p.rowIndex - proof.firstRow),
    Number(proof.rowCount),
    proof.rowPath,
  );
  if (rowsRoot === null) return 'row path has the wrong length';
  let leaf: Uint8Array;
  try {
    leaf = versionLeaf({
      contributor: hexToBytes(proof.contributor, 20),
      version: proof.contributionVersion,
      firstRow: proof.firstRow,
      rowCount: proof.rowCount,
      rowsRoot,
    });
  } catch (e) {
    return (e as Error).message;
  }
  const ok = verifyVersionInclusion(
    leaf,
    Number(proof.contributionVersion),
    Number(p.version),
    proof.versionPath,
    p.versionRoot,
  );
  return ok ? null : 'row proof does not lead to the pinned version root';
}

export function verifyRowProof(p: VerifyRowProofParameters): boolean {
  return rowProofError(p) === null;
}

/** Throws `INVALID_PROOF` with the reason when the proof fails. */
export function assertRowProof(p: VerifyRowProofParameters): void {
  const err = rowProofError(p);
  if (err !== null) throw new AttributionError('INVALID_PROOF', `row ${p.rowIndex}: ${err}`);
}

/** Structural equality of two row proofs. */
export function equalRowProofs(a: RowProof, b: RowProof): boolean {
  return (
    normalizeAddress(a.contributor) === normalizeAddress(b.contributor) &&
    a.contributionVersion === b.contributionVersion &&
    a.firstRow === b.firstRow &&
    a.rowCount === b.rowCount &&
    a.rowPath.length === b.rowPath.length &&
    a.rowPath.every((x, i) => equalBytes(x, b.rowPath[i]!)) &&
    a.versionPath.length === b.versionPath.length &&
    a.versionPath.every((x, i) => equalBytes(x, b.versionPath[i]!))
  );
}
