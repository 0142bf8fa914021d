import { type Address, formatOpen, readBigint, readList } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { keyspace } from '../../module.js';
import { nextSequence } from '../../state-values.js';
import { TimeQueue } from '../../time-queue.js';
import { TREASURY } from '../bank/keeper.js';

export const treasuryKey = keyspace('treasury');
const SEQUENCE_KEY = treasuryKey('seq');
/** Outflows of the rolling window by time: [amount, to-reason]. */
export const outflows = new TimeQueue(treasuryKey('out', ''));

export type TreasuryStatus = {
  account: Address;
  /** The block time the status is computed for. */
  time: bigint;
  balance: bigint;
  /** Seconds of the rolling window and its cap in bps of the balance. */
  window: bigint;
  capBps: bigint;
  /** Outflow (spends and reservations) within the window ending now. */
  windowOutflow: bigint;
  /** ⌊(balance + windowOutflow) × capBps / 10000⌋: what the window may pay out in total. */
  cap: bigint;
  /** What may still leave now: cap − windowOutflow (0 when negative). */
  available: bigint;
};

/**
 * The protocol treasury's outflow gate (DESIGN §4.1, §4.3): every spend or reservation goes through
 * `withdraw`, which keeps the outflow of any rolling window of `outflowWindow` seconds within
 * `outflowCapBps` of the treasury's balance at the window's start, estimated as balance now + the
 * window's outflow (deterministic: block time only).
 */
export interface TreasuryKeeper {
  /**
   * Pays `amount` from the treasury to `to` (a grant reservation is a withdraw to the reserving
   * module's account). Throws TREASURY_CAP_EXCEEDED beyond the cap.
   * PERF: O(outflows in the window) — each needs an executed proposal, so few.
   */
  withdraw(ctx: Ctx, to: Address, amount: bigint, reason: string): Promise<void>;
  /** The cap as it stands at `now` (block time; by default the context's block time). */
  status(ctx: Ctx, now?: bigint): Promise<TreasuryStatus>;
  /** Time of the most recent outflow still recorded (0 if none). */
  lastOutflowTime(ctx: Ctx): Promise<bigint>;
}

declare module '../../keepers.js' {
  interface Keepers {
    treasury: TreasuryKeeper;
  }
}

export function createTreasuryKeeper(): TreasuryKeeper {
  const status = async (ctx: Ctx, now = ctx.block.time): Promise<TreasuryStatus> => {
    const window = await ctx.keepers.params.get(ctx, 'treasury', 'outflowWindow');
    const capBps = await ctx.keepers.params.get(ctx, 'treasury', 'outflowCapBps');
    const balance = await ctx.keepers.bank.balance(ctx, TREASURY);
    let windowOutflow = 0n;
    for (const e of await outflows.due(ctx, now, Number.MAX_SAFE_INTEGER)) {
      if (e.due > now - window) windowOutflow += readBigint(readList(e.value, 'outflow', 2)[0]);
    }
    const cap = ((balance + windowOutflow) * capBps) / 10_000n;
    const available = cap > windowOutflow ? cap - windowOutflow : 0n;
    return { account: TREASURY, time: now, balance, window, capBps, windowOutflow, cap, available };
  };

  return {
    status,
    async lastOutflowTime(ctx) {
      for await (const [key] of ctx.iterate(outflows.prefix, { reverse: true, limit: 1 })) {
        return new DataView(key.buffer, key.byteOffset + outflows.prefix.length, 8).getBigUint64(0);
      }
      return 0n;
    },
    async withdraw(ctx, to, amount, reason) {
      if (amount <= 0n) throw new ChainError('INVALID_MESSAGE', 'a treasury spend must be positive');
      const now = ctx.block.time;
      const window = await ctx.keepers.params.get(ctx, 'treasury', 'outflowWindow');
      // forget outflows that left the window
      for (const e of await outflows.due(ctx, now - window, Number.MAX_SAFE_INTEGER)) {
        outflows.remove(ctx, e.due, e.id);
      }
      const s = await status(ctx, now);
      if (amount > s.available) {
        throw new ChainError(
          'TREASURY_CAP_EXCEEDED',
          `treasury outflow cap: ${formatOpen(amount)} OPEN asked, ${formatOpen(s.available)} OPEN available (${s.capBps} bps of the balance per ${s.window} s, ${formatOpen(s.windowOutflow)} OPEN already paid out in the window)`,
          { metaMessages: ['Ask for less, or wait until earlier spends leave the rolling window.'] },
        );
      }
      await ctx.keepers.bank.transfer(ctx, TREASURY, to, amount);
      const id = await nextSequence(ctx, SEQUENCE_KEY);
      outflows.push(ctx, now, id, [amount, reason]);
      ctx.emit('treasury.spend', { to, amount, reason, windowOutflow: s.windowOutflow + amount, cap: s.cap });
    },
  };
}
