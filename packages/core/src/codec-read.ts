import type { Value } from './codec.js';
import { BaseError } from './errors.js';

/** Typed readers for decoded values: each throws CODEC_SHAPE with the path when the shape is wrong. */
function shape(path: string, expected: string, value: Value | undefined): never {
  const got = value === undefined ? 'nothing' : Array.isArray(value) ? 'list' : typeof value;
  throw new BaseError('CODEC_SHAPE', `${path}: expected ${expected}, got ${got}`);
}

export function readList(value: Value | undefined, path = 'value', length?: number): readonly Value[] {
  if (!Array.isArray(value)) return shape(path, 'list', value);
  if (length !== undefined && value.length !== length) {
    throw new BaseError('CODEC_SHAPE', `${path}: expected ${length} items, got ${value.length}`);
  }
  return value;
}

export function readBigint(value: Value | undefined, path = 'value'): bigint {
  if (typeof value !== 'bigint') return shape(path, 'integer', value);
  return value;
}

/** A non-negative integer that fits a JS number exactly. */
export function readNumber(value: Value | undefined, path = 'value'): number {
  const v = readBigint(value, path);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) shape(path, 'small non-negative integer', value);
  return Number(v);
}

export function readBytes(value: Value | undefined, path = 'value', length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) return shape(path, 'bytes', value);
  if (length !== undefined && value.length !== length) {
    throw new BaseError('CODEC_SHAPE', `${path}: expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

export function readString(value: Value | undefined, path = 'value'): string {
  if (typeof value !== 'string') return shape(path, 'string', value);
  return value;
}

export function readBool(value: Value | undefined, path = 'value'): boolean {
  if (typeof value !== 'boolean') return shape(path, 'boolean', value);
  return value;
}
