import { type Address, type Hex, parseAddress } from '@openledger/core';
import { ChainError } from '../../errors.js';

/** Parsers for query arguments (JSON from the RPC): each throws INVALID_QUERY with the argument's name. */
function bad(name: string, expected: string): never {
  throw new ChainError('INVALID_QUERY', `query argument "${name}" must be ${expected}`);
}

export function argHex32(args: Record<string, unknown>, name: string): Hex {
  const v = args[name];
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) bad(name, 'a 0x-prefixed 32-byte hex id');
  return v.toLowerCase() as Hex;
}

export function argOptionalHex32(args: Record<string, unknown>, name: string): Hex | undefined {
  return args[name] === undefined || args[name] === null ? undefined : argHex32(args, name);
}

export function argAddress(args: Record<string, unknown>, name: string): Address {
  const v = args[name];
  if (typeof v !== 'string') bad(name, 'an address');
  try {
    return parseAddress(v);
  } catch {
    return bad(name, 'a 0x address with a valid checksum');
  }
}

export function argOptionalAddress(args: Record<string, unknown>, name: string): Address | undefined {
  return args[name] === undefined || args[name] === null ? undefined : argAddress(args, name);
}

export function argBigint(args: Record<string, unknown>, name: string, fallback?: bigint): bigint {
  const v = args[name];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    bad(name, 'given');
  }
  if (typeof v === 'bigint' && v >= 0n) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(v)) return BigInt(v);
  return bad(name, 'a non-negative integer');
}

/** Page size: `limit` (default 50, at most 500). */
export function argLimit(args: Record<string, unknown>, fallback = 50): number {
  const n = Number(argBigint(args, 'limit', BigInt(fallback)));
  if (n < 1 || n > 500) bad('limit', 'between 1 and 500');
  return n;
}
