import {
  type Address,
  addressFromBytes,
  encode,
  fromHex,
  type Hex,
  readBigint,
  readBool,
  readBytes,
  readList,
  readString,
  sha256,
  toHex,
  u64be,
  type Value,
} from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';

/**
 * Small helpers shared by the datanets, models, settlement and feedback modules: amounts and counters
 * in state, record field readers that fail with a clear error, and derived bytes32 ids.
 */

export const BPS = 10_000n;
export const PPM = 1_000_000n;
/** Reward-per-row accumulators are scaled by 10^18 (DESIGN §4.6). */
export const ACC_SCALE = 10n ** 18n;

export async function readAmount(ctx: Ctx, key: Uint8Array): Promise<bigint> {
  const v = await ctx.getValue(key);
  return typeof v === 'bigint' ? v : 0n;
}

/** Writes an amount; zero deletes the key (state stays small). */
export function writeAmount(ctx: Ctx, key: Uint8Array, amount: bigint): void {
  if (amount < 0n) throw new ChainError('INTERNAL_ERROR', `negative amount ${amount} for a state key`);
  if (amount === 0n) ctx.delete(key);
  else ctx.setValue(key, amount);
}

export async function addAmount(ctx: Ctx, key: Uint8Array, delta: bigint): Promise<bigint> {
  const next = (await readAmount(ctx, key)) + delta;
  writeAmount(ctx, key, next);
  return next;
}

/** Increments a counter and returns the new value (the first call returns 1). */
export async function nextSeq(ctx: Ctx, key: Uint8Array): Promise<bigint> {
  const next = (await readAmount(ctx, key)) + 1n;
  ctx.setValue(key, next);
  return next;
}

/** A derived bytes32 id: sha256 of the canonical encoding of [domain, ...parts]. */
export function deriveId(domain: string, ...parts: Value[]): Hex {
  return toHex(sha256(encode([domain, ...parts])));
}

export const b32 = (hex: string): Uint8Array => fromHex(hex, 32);
/**
 * Address bytes for state keys. The addresses here come from decoded messages or records (already
 * checked), so this skips the EIP-55 re-check (a keccak per call) that addressToBytes does.
 */
export const addr = (a: string): Uint8Array => fromHex(a, 20);
export const u64 = (n: number | bigint): Uint8Array => u64be(n);

/** Field readers for records decoded from state (a shape error there is a bug, never user input). */
export const field = {
  list: (v: Value | undefined, path: string, n?: number) => readList(v, path, n),
  big: (v: Value | undefined, path: string) => readBigint(v, path),
  bool: (v: Value | undefined, path: string) => readBool(v, path),
  str: (v: Value | undefined, path: string) => readString(v, path),
  hex32: (v: Value | undefined, path: string): Hex => toHex(readBytes(v, path, 32)),
  address: (v: Value | undefined, path: string): Address => addressFromBytes(readBytes(v, path, 20)),
  addresses: (v: Value | undefined, path: string): Address[] =>
    readList(v, path).map((a, i) => addressFromBytes(readBytes(a, `${path}[${i}]`, 20))),
};

/** Checks a user-supplied text field's length in UTF-8 bytes. */
export function checkText(name: string, text: string, maxBytes: number, required = false): void {
  const length = new TextEncoder().encode(text).length;
  if (required && length === 0) throw new ChainError('INVALID_MESSAGE', `${name} must not be empty`);
  if (length > maxBytes) {
    throw new ChainError(
      'INVALID_MESSAGE',
      `${name} is ${length} bytes; at most ${maxBytes} bytes are allowed`,
    );
  }
}

/** Checks a list of addresses: at most `max`, no duplicates. */
export function checkAddressList(name: string, list: readonly Address[], max: number): void {
  if (list.length > max)
    throw new ChainError('INVALID_MESSAGE', `${name} has ${list.length} entries; at most ${max}`);
  const seen = new Set<string>();
  for (const a of list) {
    const k = a.toLowerCase();
    if (seen.has(k)) throw new ChainError('INVALID_MESSAGE', `${name} lists ${a} twice`);
    seen.add(k);
  }
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function isZeroHash(hex: string): boolean {
  return /^0x0{64}$/.test(hex);
}

/** Reads a module parameter. */
export function param(ctx: Ctx, module: string, name: string): Promise<bigint> {
  return ctx.keepers.params.get(ctx, module, name);
}

/** The smaller of two bigints (Math.min does not take bigints). */
export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
