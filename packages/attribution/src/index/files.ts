/** Checksummed binary files written atomically (write to a temporary name, then rename). */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { AttributionError } from '../rules/errors.js';

if (endianness() !== 'LE')
  throw new Error('@openledger/attribution index files assume a little-endian machine');

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const MAGIC_LEN = 4;

/**
 * File layout: magic(4) ‖ u32 header length ‖ header JSON ‖ zero pad to 8 ‖ sections (each padded to 8) ‖
 * sha256 of everything before it.
 */
export function writeChecked(
  path: string,
  magic: string,
  header: object,
  sections: ArrayBufferView[],
  durable = true,
): number {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const parts: Uint8Array[] = [];
  const pre = Buffer.alloc(8);
  pre.write(magic, 0, 'latin1');
  pre.writeUInt32LE(headerBytes.length, MAGIC_LEN);
  parts.push(pre, headerBytes);
  let len = 8 + headerBytes.length;
  const pad = () => {
    const p = (8 - (len % 8)) % 8;
    if (p) {
      parts.push(new Uint8Array(p));
      len += p;
    }
  };
  pad();
  for (const s of sections) {
    const u8 = new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
    parts.push(u8);
    len += u8.length;
    pad();
  }
  const digest = sha256(...parts);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const p of [...parts, digest]) writeSync(fd, p);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return len + 32;
}

export interface CheckedFile {
  header: Record<string, unknown>;
  /** Byte offset of the first section (8-aligned) within `buffer`. */
  body: Uint8Array;
}

/** Reads and verifies a checked file; throws INDEX_CORRUPT naming the file when anything is off. */
export function readChecked(path: string, magic: string): CheckedFile {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (cause) {
    throw new AttributionError('INDEX_CORRUPT', `index file ${path} cannot be read`, { cause });
  }
  // own, 8-aligned ArrayBuffer (off-heap) so typed-array views can sit on it
  const buf = new Uint8Array(new ArrayBuffer(raw.length));
  buf.set(raw);
  const fail = (why: string): never => {
    throw new AttributionError('INDEX_CORRUPT', `index file ${path} is corrupt: ${why}`, {
      metaMessages: [
        'It will be rebuilt from its sources; if that fails, re-run `attribution index` for the Datanet.',
      ],
    });
  };
  if (buf.length < 8 + 32) fail('too short');
  const body = buf.subarray(0, buf.length - 32);
  const digest = sha256(body);
  const stored = buf.subarray(buf.length - 32);
  if (!digest.every((b, i) => b === stored[i])) fail('checksum mismatch');
  if (Buffer.from(buf.subarray(0, 4)).toString('latin1') !== magic) fail('wrong magic');
  const hlen = new DataView(buf.buffer).getUint32(MAGIC_LEN, true);
  if (8 + hlen > body.length) fail('header length');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.subarray(8, 8 + hlen)).toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('header is not JSON');
  }
  const start = Math.ceil((8 + hlen) / 8) * 8;
  return { header, body: buf.subarray(start, buf.length - 32) };
}

/** Reads consecutive 8-padded sections from a body. */
export class SectionReader {
  private pos = 0;
  constructor(
    private readonly body: Uint8Array,
    private readonly path: string,
  ) {}
  take(bytes: number): Uint8Array {
    if (this.pos + bytes > this.body.length) {
      throw new AttributionError('INDEX_CORRUPT', `index file ${this.path} is corrupt: section past the end`);
    }
    const out = this.body.subarray(this.pos, this.pos + bytes);
    this.pos += Math.ceil(bytes / 8) * 8;
    return out;
  }
  u32(count: number): Uint32Array {
    const b = this.take(count * 4);
    return new Uint32Array(b.buffer, b.byteOffset, count);
  }
  i32(count: number): Int32Array {
    const b = this.take(count * 4);
    return new Int32Array(b.buffer, b.byteOffset, count);
  }
  u16(count: number): Uint16Array {
    const b = this.take(count * 2);
    return new Uint16Array(b.buffer, b.byteOffset, count);
  }
}
