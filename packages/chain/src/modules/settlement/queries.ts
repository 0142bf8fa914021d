import { addressFromBytes, decode, type Hex } from '@openledger/core';
import type { App } from '../../app.js';
import type { QueryDef } from '../../module.js';
import { argAddress, argHex32 } from '../shared/args.js';
import { queryCtx } from '../shared/external.js';
import { field, readAmount } from '../shared/state.js';
import { getEscrow, keys, operatorBonds, receiptFromValue } from './state.js';

/** Read-only queries of the settlement module (RPC `ol_query settlement.<name>`). */
export function settlementQueries(app: App): Record<string, QueryDef> {
  return {
    /** A payer's escrow: balance, pending withdrawal, allowed operators and session keys. */
    async escrow(q, args) {
      const ctx = queryCtx(app, q);
      const payer = argAddress(args, 'payer');
      const e = await getEscrow(ctx, payer);
      const operators = [];
      for await (const [k, v] of ctx.state.iterate(keys.escrowOperatorPrefix(payer))) {
        operators.push({
          operator: addressFromBytes(k.subarray(k.length - 20)),
          removeAt: decode(v) as bigint,
        });
      }
      const sessionKeys = [];
      for await (const [k, v] of ctx.state.iterate(keys.sessionKeyPrefix(payer))) {
        const l = field.list(decode(v), 'sessionKey', 3);
        sessionKeys.push({
          key: addressFromBytes(k.subarray(k.length - 20)),
          maxFeePerRequest: field.big(l[0], 'maxFeePerRequest'),
          expiry: field.big(l[1], 'expiry'),
          revokeAt: field.big(l[2], 'revokeAt'),
        });
      }
      return { payer, ...e, operators, sessionKeys };
    },
    /** An operator's bond. */
    async operator(q, args) {
      const ctx = queryCtx(app, q);
      const address = argAddress(args, 'address');
      return { address, ...(await operatorBonds.get(ctx, address)) };
    },
    /** Claimable rewards of an address: the settlement balance and, per contribution, Datanet credits. */
    async claimable(q, args) {
      const ctx = queryCtx(app, q);
      const address = argAddress(args, 'address');
      const balance = await readAmount(ctx, keys.claimable(address));
      const contributions: { contribution: Hex; datanet: Hex; claimable: bigint }[] = [];
      let datanetTotal = 0n;
      const mine = (await app.query(q, 'datanets.contributions', { contributor: address, limit: 500 })) as {
        id: Hex;
        datanet: Hex;
        claimable: bigint;
      }[];
      for (const c of mine) {
        datanetTotal += c.claimable;
        if (c.claimable > 0n)
          contributions.push({ contribution: c.id, datanet: c.datanet, claimable: c.claimable });
      }
      return { address, balance, datanetTotal, total: balance + datanetTotal, contributions };
    },
    async receipt(q, args) {
      const ctx = queryCtx(app, q);
      const id = argHex32(args, 'id');
      const v = await ctx.getValue(keys.receipt(id));
      return v === undefined ? null : receiptFromValue(id, v);
    },
    /** Whether (payer, requestId) was settled and not yet pruned. */
    async request(q, args) {
      const ctx = queryCtx(app, q);
      const v = await ctx.getValue(keys.request(argAddress(args, 'payer'), argHex32(args, 'requestId')));
      return { seen: v !== undefined, expiry: v ?? null };
    },
  };
}
