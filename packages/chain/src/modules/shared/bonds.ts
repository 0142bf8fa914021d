import { type Address, addressFromBytes, decode } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { addr, field, minBig, u64 } from './state.js';

/**
 * A bond ledger for operator and feedback-validator bonds (DESIGN §4.2): bonded OPEN sits in a module
 * account; unbonding takes a period (challengeWindow + unbondMargin) during which it stays slashable,
 * and is paid out automatically by the module's end-block hook. A new unbond request adds to the amount
 * unbonding and restarts its clock. PERF: O(1) per message; end block O(matured entries).
 */
export type BondRecord = { bonded: bigint; unbonding: bigint; completeAt: bigint };

export type BondLedger = {
  get(ctx: Ctx, who: Address): Promise<BondRecord>;
  bond(ctx: Ctx, who: Address, amount: bigint): Promise<BondRecord>;
  unbond(ctx: Ctx, who: Address, amount: bigint, period: bigint): Promise<BondRecord>;
  /** Takes up to `amount` from the bond (bonded first, then unbonding) into `to`; returns what it took. */
  slash(ctx: Ctx, who: Address, amount: bigint, to: (taken: bigint) => Promise<void>): Promise<bigint>;
  /** Pays out every unbonding whose time has come (end block). */
  completeMatured(ctx: Ctx, limit?: number): Promise<number>;
  /** Σ bonded + unbonding over all accounts (invariants). */
  total(ctx: Ctx): Promise<bigint>;
};

export function bondLedger(opts: {
  key: (...parts: Array<string | Uint8Array>) => Uint8Array;
  account: Address;
  event: string;
}): BondLedger {
  const { key, account, event } = opts;
  const recordKey = (who: Address) => key('bond', addr(who));
  const queueKey = (at: bigint, who: Address) => key('ubq', u64(at), addr(who));
  const read = async (ctx: Ctx, who: Address): Promise<BondRecord> => {
    const v = await ctx.getValue(recordKey(who));
    if (v === undefined) return { bonded: 0n, unbonding: 0n, completeAt: 0n };
    const l = field.list(v, 'bond', 3);
    return {
      bonded: field.big(l[0], 'bonded'),
      unbonding: field.big(l[1], 'unbonding'),
      completeAt: field.big(l[2], 'completeAt'),
    };
  };
  const write = (ctx: Ctx, who: Address, r: BondRecord) => {
    if (r.bonded === 0n && r.unbonding === 0n) ctx.delete(recordKey(who));
    else ctx.setValue(recordKey(who), [r.bonded, r.unbonding, r.completeAt]);
  };
  return {
    get: read,
    async bond(ctx, who, amount) {
      if (amount <= 0n) throw new ChainError('INVALID_MESSAGE', 'bond amount must be positive');
      await ctx.keepers.bank.transfer(ctx, who, account, amount);
      const r = await read(ctx, who);
      const next = { ...r, bonded: r.bonded + amount };
      write(ctx, who, next);
      ctx.emit(`${event}.bonded`, { address: who, amount, bonded: next.bonded });
      return next;
    },
    async unbond(ctx, who, amount, period) {
      if (amount <= 0n) throw new ChainError('INVALID_MESSAGE', 'unbond amount must be positive');
      const r = await read(ctx, who);
      if (amount > r.bonded) {
        throw new ChainError('INSUFFICIENT_BOND', `cannot unbond ${amount}: only ${r.bonded} is bonded`);
      }
      if (r.unbonding > 0n) ctx.delete(queueKey(r.completeAt, who));
      const completeAt = ctx.block.time + period;
      const next = { bonded: r.bonded - amount, unbonding: r.unbonding + amount, completeAt };
      write(ctx, who, next);
      ctx.set(queueKey(completeAt, who), addr(who));
      ctx.emit(`${event}.unbonding`, { address: who, amount, unbonding: next.unbonding, completeAt });
      return next;
    },
    async slash(ctx, who, amount, to) {
      const r = await read(ctx, who);
      const fromBonded = minBig(amount, r.bonded);
      const rest = amount - fromBonded;
      const fromUnbonding = minBig(rest, r.unbonding);
      const taken = fromBonded + fromUnbonding;
      const next = {
        bonded: r.bonded - fromBonded,
        unbonding: r.unbonding - fromUnbonding,
        completeAt: r.completeAt,
      };
      if (next.unbonding === 0n && r.unbonding > 0n) ctx.delete(queueKey(r.completeAt, who));
      write(ctx, who, next);
      if (taken > 0n) await to(taken);
      ctx.emit(`${event}.slashed`, { address: who, amount: taken });
      return taken;
    },
    async completeMatured(ctx, limit = 1_000) {
      const due: Array<[Uint8Array, Address]> = [];
      for await (const [k, v] of ctx.state.iterate(key('ubq', ''))) {
        const at = new DataView(k.buffer, k.byteOffset + k.length - 29, 8).getBigUint64(0);
        if (at > ctx.block.time || due.length >= limit) break;
        due.push([k, addressFromBytes(v)]);
      }
      for (const [k, who] of due) {
        ctx.delete(k);
        const r = await read(ctx, who);
        if (r.unbonding === 0n || r.completeAt > ctx.block.time) continue;
        await ctx.keepers.bank.transfer(ctx, account, who, r.unbonding);
        write(ctx, who, { bonded: r.bonded, unbonding: 0n, completeAt: 0n });
        ctx.emit(`${event}.unbonded`, { address: who, amount: r.unbonding });
      }
      return due.length;
    },
    async total(ctx) {
      let sum = 0n;
      for await (const [, v] of ctx.state.iterate(key('bond', ''))) {
        const l = field.list(decode(v), 'bond', 3);
        sum += field.big(l[0], 'bonded') + field.big(l[1], 'unbonding');
      }
      return sum;
    },
  };
}
