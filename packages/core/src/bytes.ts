import { BaseError } from './errors.js';

export type Hex = `0x${string}`;

const HEX = '0123456789abcdef';
const HEX_TABLE: string[] = [];
for (let i = 0; i < 256; i++) HEX_TABLE.push(HEX[i >> 4]! + HEX[i & 15]!);

/** Lowercase hex without a prefix. */
export function toHexRaw(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_TABLE[bytes[i]!];
  return out;
}

/** `0x`-prefixed lowercase hex. */
export function toHex(bytes: Uint8Array): Hex {
  return `0x${toHexRaw(bytes)}`;
}

/** Value of a hex digit by char code (the digits were validated before use). */
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Parses hex with or without `0x`; an odd length or a non-hex digit is an error. */
export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new BaseError('INVALID_HEX', `invalid hex string: ${abbreviate(hex)}`, {
      metaMessages: ['Hex strings have an even number of digits 0-9, a-f, optionally prefixed by 0x.'],
    });
  }
  const out = new Uint8Array(body.length / 2);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) {
    out[i] = (HEX_VALUE[body.charCodeAt(j)]! << 4) | HEX_VALUE[body.charCodeAt(j + 1)]!;
  }
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new BaseError('INVALID_LENGTH', `expected ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

export function abbreviate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Compares as unsigned big-endian bytes (DESIGN §3 Ordering): negative when a < b. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** 8-byte big-endian encoding of a non-negative integer below 2^64. */
export function u64be(value: number | bigint): Uint8Array {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << 64n) throw new BaseError('OUT_OF_RANGE', `value ${v} does not fit in 64 bits`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v);
  return out;
}

/** Big-endian bytes of a non-negative bigint left-padded to `length` bytes. */
export function bigintToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n) throw new BaseError('OUT_OF_RANGE', `negative value ${value}`);
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new BaseError('OUT_OF_RANGE', `value does not fit in ${length} bytes`);
  return out;
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Strict UTF-8 decoding: invalid sequences are an error, a BOM is kept. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch (cause) {
    throw new BaseError('INVALID_UTF8', 'bytes are not valid UTF-8', { cause });
  }
}
