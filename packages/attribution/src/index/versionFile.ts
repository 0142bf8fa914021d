/**
 * A Datanet version as the index stores it (the source of truth its segments are built from): the
 * contribution's metadata, each row's tokens, and each row's hash (for row proofs).
 */
import { type Hex, hexToBytes, normalizeAddress } from '../rules/bytes.js';
import { AttributionError } from '../rules/errors.js';
import { hexOf, readChecked, SectionReader, writeChecked } from './files.js';

const MAGIC = 'OLV1';

export interface VersionData {
  version: number;
  contributor: Hex;
  approvalHeight: bigint;
  /** Global index of the first row. */
  firstRow: number;
  rowCount: number;
  rowsRoot: Uint8Array;
  /** Tokens per row. */
  rowLengths: Uint32Array;
  /** All rows' token ids, concatenated (no separators). */
  tokens: Uint32Array;
  /** 32 bytes per row: sha256(0x00 ‖ row). */
  rowHashes: Uint8Array;
}

export function writeVersionFile(path: string, v: VersionData, durable = true): number {
  const wide = v.tokens.some((t) => t > 0xfffe);
  return writeChecked(
    path,
    MAGIC,
    {
      version: v.version,
      contributor: v.contributor,
      approvalHeight: v.approvalHeight.toString(),
      firstRow: v.firstRow,
      rowCount: v.rowCount,
      rowsRoot: hexOf(v.rowsRoot),
      tokenCount: v.tokens.length,
      width: wide ? 4 : 2,
    },
    [v.rowLengths, wide ? v.tokens : Uint16Array.from(v.tokens), v.rowHashes],
    durable,
  );
}

export function readVersionFile(path: string, expectedVersion: number): VersionData {
  const { header: h, body } = readChecked(path, MAGIC);
  const r = new SectionReader(body, path);
  const bad = (why: string): never => {
    throw new AttributionError('INDEX_CORRUPT', `index file ${path} is inconsistent: ${why}`);
  };
  if (h.version !== expectedVersion) bad(`holds version ${String(h.version)}, expected ${expectedVersion}`);
  const rowCount = Number(h.rowCount);
  const tokenCount = Number(h.tokenCount);
  const rowLengths = r.u32(rowCount);
  const tokens = h.width === 4 ? r.u32(tokenCount) : Uint32Array.from(r.u16(tokenCount));
  const rowHashes = r.take(32 * rowCount);
  let sum = 0;
  for (const l of rowLengths) sum += l;
  if (sum !== tokenCount) bad('row lengths do not add up to the token count');
  return {
    version: expectedVersion,
    contributor: normalizeAddress(String(h.contributor)),
    approvalHeight: BigInt(String(h.approvalHeight)),
    firstRow: Number(h.firstRow),
    rowCount,
    rowsRoot: hexToBytes(String(h.rowsRoot), 32),
    rowLengths,
    tokens,
    rowHashes,
  };
}
