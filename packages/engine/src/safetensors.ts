// Minimal safetensors reader/writer: 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then raw
// little-endian tensor bytes. F32 is written; F32, F16 and BF16 are read (converted to float32).
import { EngineError } from './errors.js';

export type Tensor = { shape: number[]; data: Float32Array };
export type SafetensorsFile = { tensors: Map<string, Tensor>; metadata: Record<string, string> };

const MAX_HEADER = 100 * 1024 * 1024;

function bad(msg: string): EngineError {
  return new EngineError('BAD_SAFETENSORS', `safetensors: ${msg}`);
}

export function writeSafetensors(
  tensors: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name) as Tensor;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length)
      throw bad(`tensor ${name}: shape ${t.shape.join('x')} needs ${n} values, got ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + n * 4] };
    offset += n * 4;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (allowed by the format).
  const pad = (8 - ((8 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const hbytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hbytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  let pos = 8 + hbytes.length;
  for (const name of names) {
    const t = tensors.get(name) as Tensor;
    for (let i = 0; i < t.data.length; i++) dv.setFloat32(pos + i * 4, t.data[i] as number, true);
    pos += t.data.length * 4;
  }
  return out;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw bad(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = dv.getBigUint64(0, true);
  if (hlen > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    throw bad(
      `header length ${hlen} exceeds the file (${bytes.length} bytes); the file is corrupted or not safetensors`,
    );
  }
  const hl = Number(hlen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hl)));
  } catch (e) {
    throw bad(`header is not valid UTF-8 JSON (${(e as Error).message}); the file is corrupted`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw bad('header is not a JSON object');
  const dataStart = 8 + hl;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object') throw bad('__metadata__ must be an object of strings');
      metadata = info as Record<string, string>;
      continue;
    }
    const inf = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!inf || typeof inf !== 'object') throw bad(`entry ${name} is not an object`);
    const { dtype, shape, data_offsets: off } = inf;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw bad(`tensor ${name}: bad shape`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0)) {
      throw bad(`tensor ${name}: bad data_offsets`);
    }
    const [b, e] = off as [number, number];
    const width = dtype === 'F32' ? 4 : dtype === 'F16' || dtype === 'BF16' ? 2 : 0;
    if (width === 0) throw bad(`tensor ${name}: dtype ${String(dtype)} is not supported (F32, F16, BF16)`);
    const n = (shape as number[]).reduce((a, c) => a * c, 1);
    if (e < b || e > dataLen || e - b !== n * width) {
      throw bad(
        `tensor ${name}: data_offsets [${b}, ${e}] do not fit its shape or the file (${dataLen} data bytes)`,
      );
    }
    spans.push([b, e, name]);
    const data = new Float32Array(n);
    const base = dataStart + b;
    if (dtype === 'F32') for (let i = 0; i < n; i++) data[i] = dv.getFloat32(base + i * 4, true);
    else if (dtype === 'F16')
      for (let i = 0; i < n; i++) data[i] = f16ToF32(dv.getUint16(base + i * 2, true));
    else
      for (let i = 0; i < n; i++)
        data[i] = new Float32Array(
          new Uint32Array([dv.getUint16(base + i * 2, true) << 16]).buffer,
        )[0] as number;
    tensors.set(name, { shape: shape as number[], data });
  }
  spans.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1] as [number, number, string];
    const cur = spans[i] as [number, number, string];
    if (cur[0] < prev[1]) throw bad(`tensors ${prev[2]} and ${cur[2]} overlap`);
  }
  return { tensors, metadata };
}
