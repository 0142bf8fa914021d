import { BaseError } from './errors.js';

/**
 * The canonical codec: one byte string per value, so that anything hashed or signed has exactly one
 * encoding. Self-describing (a tag byte per value) so that decoding needs no schema, and strict:
 * `decode` refuses every non-canonical form (non-minimal lengths or integers, trailing bytes,
 * invalid UTF-8), so `encode(decode(b))` equals `b` for every accepted `b`.
 *
 * | tag  | value                                                           |
 * |------|-----------------------------------------------------------------|
 * | 0x00 | null                                                            |
 * | 0x01 | false                                                           |
 * | 0x02 | true                                                            |
 * | 0x03 | non-negative integer: varint n, then n bytes big-endian, minimal (0 is n = 0) |
 * | 0x04 | negative integer: as 0x03 for its magnitude (never 0)           |
 * | 0x05 | bytes: varint length, bytes                                     |
 * | 0x06 | string: varint length, UTF-8 bytes (NFC is not imposed)         |
 * | 0x07 | list: varint count, the items                                   |
 *
 * varint = unsigned LEB128, minimal, at most 2^32 − 1. Structs are lists of their fields in
 * declared order; maps are lists of [key, value] pairs sorted by key.
 */
export type Value = null | boolean | bigint | Uint8Array | string | readonly Value[];

const TAG_NULL = 0x00;
const TAG_FALSE = 0x01;
const TAG_TRUE = 0x02;
const TAG_UINT = 0x03;
const TAG_NEGINT = 0x04;
const TAG_BYTES = 0x05;
const TAG_STRING = 0x06;
const TAG_LIST = 0x07;

/** Maximum nesting depth accepted by `decode` (protects the stack from hostile input). */
export const MAX_DEPTH = 64;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Writer {
  private buf = new Uint8Array(64);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.length++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  varint(n: number): void {
    let v = n;
    while (v >= 0x80) {
      this.byte((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function magnitudeBytes(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function write(w: Writer, value: Value | number | undefined, depth: number): void {
  if (depth > MAX_DEPTH) throw new BaseError('CODEC_TOO_DEEP', `value nests deeper than ${MAX_DEPTH}`);
  if (value === null) return w.byte(TAG_NULL);
  if (value === false) return w.byte(TAG_FALSE);
  if (value === true) return w.byte(TAG_TRUE);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new BaseError(
        'CODEC_UNSUPPORTED',
        `cannot encode number ${value}: only safe integers (use bigint)`,
      );
    }
    return write(w, BigInt(value), depth);
  }
  if (typeof value === 'bigint') {
    const mag = magnitudeBytes(value < 0n ? -value : value);
    w.byte(value < 0n ? TAG_NEGINT : TAG_UINT);
    w.varint(mag.length);
    return w.bytes(mag);
  }
  if (typeof value === 'string') {
    const b = textEncoder.encode(value);
    w.byte(TAG_STRING);
    w.varint(b.length);
    return w.bytes(b);
  }
  if (value instanceof Uint8Array) {
    w.byte(TAG_BYTES);
    w.varint(value.length);
    return w.bytes(value);
  }
  if (Array.isArray(value)) {
    w.byte(TAG_LIST);
    w.varint(value.length);
    for (const item of value) write(w, item, depth + 1);
    return;
  }
  throw new BaseError('CODEC_UNSUPPORTED', `cannot encode a value of type ${typeof value}`);
}

/** Encodes a value canonically. JS numbers are accepted when they are safe integers. */
export function encode(value: Value | number): Uint8Array {
  const w = new Writer();
  write(w, value, 0);
  return w.result();
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  fail(message: string): never {
    throw new BaseError('CODEC_INVALID', `invalid canonical encoding at byte ${this.pos}: ${message}`);
  }
  byte(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end of input');
    return this.buf[this.pos++]!;
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) this.fail(`needs ${n} bytes, ${this.buf.length - this.pos} left`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) this.fail('non-minimal varint');
        if (result > 0xffffffff) this.fail('varint above 2^32 - 1');
        return result;
      }
      scale *= 128;
    }
    return this.fail('varint longer than 5 bytes');
  }
}

function read(r: Reader, depth: number): Value {
  if (depth > MAX_DEPTH) r.fail(`nesting deeper than ${MAX_DEPTH}`);
  const tag = r.byte();
  switch (tag) {
    case TAG_NULL:
      return null;
    case TAG_FALSE:
      return false;
    case TAG_TRUE:
      return true;
    case TAG_UINT:
    case TAG_NEGINT: {
      const n = r.varint();
      const mag = r.take(n);
      if (n > 0 && mag[0] === 0) r.fail('integer with a leading zero byte');
      if (tag === TAG_NEGINT && n === 0) r.fail('negative zero');
      let v = 0n;
      for (const b of mag) v = (v << 8n) | BigInt(b);
      return tag === TAG_NEGINT ? -v : v;
    }
    case TAG_BYTES:
      return r.take(r.varint()).slice();
    case TAG_STRING: {
      const b = r.take(r.varint());
      try {
        return textDecoder.decode(b);
      } catch {
        return r.fail('string is not valid UTF-8');
      }
    }
    case TAG_LIST: {
      const count = r.varint();
      if (count > r.buf.length - r.pos) r.fail(`list of ${count} items cannot fit in the input`);
      const items: Value[] = [];
      for (let i = 0; i < count; i++) items.push(read(r, depth + 1));
      return items;
    }
    default:
      return r.fail(`unknown tag 0x${tag.toString(16).padStart(2, '0')}`);
  }
}

/** Decodes one canonical value; refuses trailing bytes and every non-canonical form. */
export function decode(bytes: Uint8Array): Value {
  const r = new Reader(bytes);
  const value = read(r, 0);
  if (r.pos !== bytes.length) r.fail(`${bytes.length - r.pos} trailing bytes`);
  return value;
}
