import type { Address, Hex } from '@openledger/core';
import type { Ctx } from '../../context.js';
import type { BondRecord } from '../shared/bonds.js';
import { holdSlashed } from '../shared/external.js';
import { addAmount, readAmount } from '../shared/state.js';
import {
  keys,
  OPERATOR_BONDS,
  operatorBonds,
  type ReceiptRecord,
  receiptFromValue,
  SETTLEMENT_REWARDS,
} from './state.js';

/** What other modules may ask of settlement (DESIGN §4.6): receipts, claimable rewards, operator bonds. */
export interface SettlementKeeper {
  receipt(ctx: Ctx, id: Hex): Promise<ReceiptRecord | undefined>;
  /** Moves `amount` from `from` into the claimable balance of `to` (paid by ClaimRewards). */
  creditClaimable(ctx: Ctx, from: Address, to: Address, amount: bigint, reason: string): Promise<void>;
  claimable(ctx: Ctx, who: Address): Promise<bigint>;
  operatorBond(ctx: Ctx, operator: Address): Promise<BondRecord>;
  /** Slashes up to `amount` of an operator's bond into the slashed holding; returns what was taken. */
  slashOperator(ctx: Ctx, operator: Address, amount: bigint, reason: string): Promise<bigint>;
  /**
   * Takes up to `amount` of an operator's bond (bonded first, then unbonding) into the account `to`
   * (the challenges module, which re-credits, rewards and holds the rest, DESIGN §4.2); returns what was taken.
   */
  takeOperatorBond(ctx: Ctx, operator: Address, amount: bigint, to: Address): Promise<bigint>;
}

declare module '../../keepers.js' {
  interface Keepers {
    settlement: SettlementKeeper;
  }
}

export function createSettlementKeeper(): SettlementKeeper {
  return {
    async receipt(ctx, id) {
      const v = await ctx.getValue(keys.receipt(id));
      return v === undefined ? undefined : receiptFromValue(id, v);
    },
    async creditClaimable(ctx, from, to, amount, reason) {
      if (amount === 0n) return;
      await ctx.keepers.bank.transfer(ctx, from, SETTLEMENT_REWARDS, amount);
      await addAmount(ctx, keys.claimable(to), amount);
      ctx.emit('settlement.credited', { to, amount, reason });
    },
    claimable: (ctx, who) => readAmount(ctx, keys.claimable(who)),
    operatorBond: (ctx, operator) => operatorBonds.get(ctx, operator),
    slashOperator(ctx, operator, amount, reason) {
      return operatorBonds.slash(ctx, operator, amount, async (taken) => {
        await holdSlashed(ctx, OPERATOR_BONDS, taken, { offender: operator, reason, module: 'settlement' });
      });
    },
    takeOperatorBond(ctx, operator, amount, to) {
      return operatorBonds.slash(ctx, operator, amount, async (taken) => {
        await ctx.keepers.bank.transfer(ctx, OPERATOR_BONDS, to, taken);
      });
    },
  };
}
