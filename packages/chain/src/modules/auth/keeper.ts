import { type Address, addressToBytes } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { keyspace } from '../../module.js';

export const authKey = keyspace('auth');

export function nonceKey(address: Address): Uint8Array {
  return authKey('n', addressToBytes(address));
}

/** Account nonces: the next nonce an account's transaction must carry. */
export interface AuthKeeper {
  nonce(ctx: Ctx, address: Address): Promise<bigint>;
  increment(ctx: Ctx, address: Address): Promise<void>;
}

export function createAuthKeeper(): AuthKeeper {
  return {
    async nonce(ctx, address) {
      const v = await ctx.getValue(nonceKey(address));
      return typeof v === 'bigint' ? v : 0n;
    },
    async increment(ctx, address) {
      const v = await ctx.getValue(nonceKey(address));
      ctx.setValue(nonceKey(address), (typeof v === 'bigint' ? v : 0n) + 1n);
    },
  };
}
