import { type Address, fromHex } from '@openledger/core';
import { Ctx } from './context.js';
import { InfiniteGasMeter } from './gas.js';
import type { Keepers } from './keepers.js';
import type { QueryContext } from './module.js';

/** Reads an integer counter or amount (0 when absent). */
export async function readInteger(ctx: Ctx, key: Uint8Array): Promise<bigint> {
  const v = await ctx.getValue(key);
  return typeof v === 'bigint' ? v : 0n;
}

/** Writes an integer; 0 deletes the key so that state holds no empty entries. */
export function writeInteger(ctx: Ctx, key: Uint8Array, value: bigint): void {
  if (value === 0n) ctx.delete(key);
  else ctx.setValue(key, value);
}

/** Adds `delta` (may be negative) to an integer and returns the new value. */
export async function addInteger(ctx: Ctx, key: Uint8Array, delta: bigint): Promise<bigint> {
  const next = (await readInteger(ctx, key)) + delta;
  writeInteger(ctx, key, next);
  return next;
}

/** Returns the next id of a sequence (1, 2, 3, …) and advances it. */
export async function nextSequence(ctx: Ctx, key: Uint8Array): Promise<bigint> {
  const id = (await readInteger(ctx, key)) + 1n;
  ctx.setValue(key, id);
  return id;
}

const QUERY_ADDRESS: Address = '0x0000000000000000000000000000000000000000';

/**
 * A read-only context over committed state for queries, so that they reuse the keepers' read code.
 * Its writes are dropped; block time is unknown to a query (0).
 */
export function queryCtx(query: QueryContext, keepers: Keepers): Ctx {
  const block = { chainId: 0n, height: query.height, time: 0n, proposer: QUERY_ADDRESS };
  return new Ctx(query.state, new InfiniteGasMeter(), block, QUERY_ADDRESS, keepers);
}

/**
 * The 20 bytes of an address for state keys and values. Addresses reaching a keeper are already
 * parsed (messages and genesis check them), so this skips the EIP-55 keccak of `addressToBytes`.
 * PERF: keys are built several times per message; a keccak each was the main cost of a delegation.
 */
export function addressBytes(address: Address): Uint8Array {
  return fromHex(address, 20);
}
