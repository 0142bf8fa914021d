/**
 * The Datanet row rule (DESIGN §4.4 *fixed*): bytes → rows, row hashes and the contribution's rowsRoot.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AttributionError } from './errors.js';
import { merklePath, merkleRoot, rootFromPath } from './merkle.js';

/** Largest uploaded file the rule accepts, in bytes. */
export const MAX_FILE_BYTES = 5_000_000;
/** Largest row, in UTF-8 bytes. */
export const MAX_ROW_BYTES = 2048;

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

function isSpaceByte(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a;
}

function trimBytes(bytes: Uint8Array): Uint8Array {
  let s = 0;
  let e = bytes.length;
  while (s < e && isSpaceByte(bytes[s]!)) s++;
  while (e > s && isSpaceByte(bytes[e - 1]!)) e--;
  return bytes.subarray(s, e);
}

/** Cuts one trimmed part into rows of at most MAX_ROW_BYTES bytes (DESIGN §4.4). */
function cutPart(part: Uint8Array, out: Uint8Array[]): void {
  let rest = trimBytes(part);
  while (rest.length > MAX_ROW_BYTES) {
    let cut = -1;
    for (let i = MAX_ROW_BYTES - 1; i >= 0; i--) {
      if (isSpaceByte(rest[i]!)) {
        cut = i + 1; // cut after the whitespace byte
        break;
      }
    }
    if (cut < 0) {
      // last UTF-8 character boundary at or before MAX_ROW_BYTES: not a continuation byte 10xxxxxx
      cut = MAX_ROW_BYTES;
      while (cut > 0 && (rest[cut]! & 0xc0) === 0x80) cut--;
    }
    const head = trimBytes(rest.subarray(0, cut));
    if (head.length > 0) out.push(head);
    rest = trimBytes(rest.subarray(cut));
  }
  if (rest.length > 0) out.push(rest);
}

/**
 * Splits an uploaded UTF-8 file into rows (DESIGN §4.4 *fixed*): strict UTF-8 decode, leading BOM dropped,
 * CRLF and CR → LF, NFC, split on `\n[ \t]*\n`, parts trimmed of `[ \t\n]`, parts over 2,048 bytes cut
 * (after the last `[ \t\n]` in the first 2,048 bytes, else at the last character boundary), empties
 * dropped. Throws `INVALID_UTF8` or `FILE_TOO_LARGE`; returns [] when the file has no rows (the caller
 * refuses such a contribution).
 *
 * PERF: linear in the file size.
 */
export function splitRows(bytes: Uint8Array): string[] {
  return splitRowBytes(bytes).map((row) => lenientDecoder.decode(row));
}

/** As {@link splitRows}, returning each row's UTF-8 bytes. */
export function splitRowBytes(bytes: Uint8Array): Uint8Array[] {
  if (!(bytes instanceof Uint8Array))
    throw new AttributionError('INVALID_ARGUMENT', 'splitRows expects a Uint8Array');
  if (bytes.length > MAX_FILE_BYTES) {
    throw new AttributionError(
      'FILE_TOO_LARGE',
      `file is ${bytes.length} bytes; a contribution file may have at most ${MAX_FILE_BYTES} bytes — split it into several contributions`,
    );
  }
  let text: string;
  try {
    text = strictDecoder.decode(bytes);
  } catch (cause) {
    throw new AttributionError(
      'INVALID_UTF8',
      'file is not valid UTF-8; convert it to UTF-8 text before uploading',
      {
        cause,
      },
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.replace(/\r\n?/g, '\n').normalize('NFC');
  const out: Uint8Array[] = [];
  for (const part of text.split(/\n[ \t]*\n/)) cutPart(encoder.encode(part), out);
  return out;
}

/** Row hash = sha256(0x00 ‖ row bytes). */
export function rowHash(row: string | Uint8Array): Uint8Array {
  const bytes = typeof row === 'string' ? encoder.encode(row) : row;
  const buf = new Uint8Array(bytes.length + 1);
  buf.set(bytes, 1);
  return sha256(buf);
}

/** The contribution's rowsRoot: RFC 6962 root over the row hashes. Throws `NO_ROWS` for no rows. */
export function rowsRoot(rows: readonly (string | Uint8Array)[]): Uint8Array {
  if (rows.length === 0) throw new AttributionError('NO_ROWS', 'a contribution with no rows is refused');
  return merkleRoot(rows.map(rowHash));
}

/** RFC 6962 path of row `index` (0-based within its contribution) to the contribution's rowsRoot. */
export function rowPath(rows: readonly (string | Uint8Array)[], index: number): Uint8Array[] {
  return merklePath(rows.map(rowHash), index);
}

/** Recomputes a contribution's rowsRoot from one row, its index within the contribution and its path. */
export function rowsRootFromPath(
  row: string | Uint8Array,
  index: number,
  rowCount: number,
  path: readonly Uint8Array[],
): Uint8Array | null {
  return rootFromPath(rowHash(row), index, rowCount, path);
}
