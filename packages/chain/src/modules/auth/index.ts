import { decode, parseAddress } from '@openledger/core';
import type { Module } from '../../module.js';
import { createAuthKeeper, nonceKey } from './keeper.js';

export { type AuthKeeper, nonceKey } from './keeper.js';

/** Accounts' nonces and the transaction-level parameters (minimum gas price, block gas). */
export function authModule(): Module & { keeper: ReturnType<typeof createAuthKeeper> } {
  return {
    name: 'auth',
    keeper: createAuthKeeper(),
    params: [
      {
        name: 'minGasPrice',
        description: 'lowest gas price (base units of OPEN per gas) a transaction may offer',
        default: 1_000_000_000n,
        min: 0n,
        max: 10n ** 18n,
        unit: 'OPEN',
      },
      {
        name: 'maxBlockGas',
        description: 'gas that the transactions of one block may use in total',
        default: 2_000_000_000n,
        min: 1_000_000n,
        max: 1n << 62n,
        unit: 'gas',
      },
      {
        name: 'maxTxGas',
        description: 'largest gas limit a transaction may ask for',
        default: 200_000_000n,
        min: 100_000n,
        max: 1n << 62n,
        unit: 'gas',
      },
    ],
    queries: {
      async nonce({ state }, args) {
        const address = parseAddress(String(args.address));
        const bytes = await state.get(nonceKey(address));
        return { address, nonce: bytes ? (decode(bytes) as bigint) : 0n };
      },
    },
  };
}
