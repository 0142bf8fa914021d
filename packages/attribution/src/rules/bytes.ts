/** Small byte helpers shared by the rules (no I/O). */
import { AttributionError } from './errors.js';

/** A lowercase 0x-prefixed hex string; addresses have 40 hex digits, bytes32 ids 64. */
export type Hex = `0x${string}`;

const HEX = '0123456789abcdef';

export function bytesToHex(bytes: Uint8Array): Hex {
  let out = '0x';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out as Hex;
}

export function hexToBytes(hex: string, expectedLength?: number): Uint8Array {
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new AttributionError('INVALID_ARGUMENT', `not a hex byte string: "${hex.slice(0, 80)}"`);
  }
  const out = new Uint8Array(body.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(body.slice(2 * i, 2 * i + 2), 16);
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new AttributionError(
      'INVALID_ARGUMENT',
      `expected ${expectedLength} bytes, got ${out.length} in "${hex.slice(0, 80)}"`,
    );
  }
  return out;
}

/** Normalises a 20-byte address to lowercase hex (so string order is unsigned big-endian byte order). */
export function normalizeAddress(address: string | Uint8Array): Hex {
  const bytes = typeof address === 'string' ? hexToBytes(address, 20) : address;
  if (bytes.length !== 20)
    throw new AttributionError('INVALID_ARGUMENT', `an address has 20 bytes, got ${bytes.length}`);
  return bytesToHex(bytes);
}

/** Normalises a bytes32 id to lowercase hex. */
export function normalizeBytes32(id: string | Uint8Array): Hex {
  const bytes = typeof id === 'string' ? hexToBytes(id, 32) : id;
  if (bytes.length !== 32)
    throw new AttributionError('INVALID_ARGUMENT', `a bytes32 id has 32 bytes, got ${bytes.length}`);
  return bytesToHex(bytes);
}

/** Unsigned lexicographic byte comparison (lower first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Compares two normalised (same-length, lowercase) hex strings as unsigned big-endian bytes. */
export function compareHex(a: Hex, b: Hex): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u64be(value: bigint | number): Uint8Array {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << 64n) throw new AttributionError('INVALID_ARGUMENT', `${v} does not fit in a u64`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, false);
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}
