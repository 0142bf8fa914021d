import type { Address } from '@openledger/core';
import { decode } from '@openledger/core';
import type { App } from '../../app.js';
import { genesisAddress, genesisInteger, genesisList } from '../../genesis-input.js';
import type { Module } from '../../module.js';
import {
  authorizeSessionKey,
  bondOperator,
  fundEscrow,
  penalizeOperator,
  requestEscrowWithdrawal,
  revokeSessionKey,
  setEscrowOperators,
  unbondOperator,
  withdrawEscrow,
} from './escrow.js';
import { createSettlementKeeper } from './keeper.js';
import { SETTLEMENT_PARAMS } from './params.js';
import { settlementQueries } from './queries.js';
import { claimRewards } from './rewards.js';
import { pruneRequests, settleInference } from './settleInference.js';
import { keys, OPERATOR_BONDS, operatorBonds, SETTLEMENT_ESCROW, SETTLEMENT_REWARDS } from './state.js';

export type { SettlementKeeper } from './keeper.js';
export { settlementDevnetParams } from './params.js';
export { type InferenceReceipt, MAX_RECEIPTS_PER_BATCH } from './settleInference.js';
export { type FeeSplit, type FeeWeight, type SplitFeeParameters, splitFee } from './splitFee.js';
export { OPERATOR_BONDS, type ReceiptRecord, SETTLEMENT_ESCROW, SETTLEMENT_REWARDS } from './state.js';
export * from './vouchers.js';

/** Signature recovery for handlers (the app's recovery: native in the node, @noble in tests). */
export type SignaturesKeeper = { recover(digest: Uint8Array, signature: Uint8Array): Address };

declare module '../../keepers.js' {
  interface Keepers {
    signatures: SignaturesKeeper;
  }
}

/**
 * The settlement module (DESIGN §4.2, §4.6): operator bonds, escrows with allowed operators and session
 * keys, vouchers and usage statements, `SettleInference` with per-receipt results and the *fixed* fee
 * split, replay protection with pruning, and claimable rewards.
 */
export function settlementModule(app: App): Module {
  app.setKeeper('settlement', createSettlementKeeper());
  app.setKeeper('signatures', { recover: (d, s) => app.recoverSigner(d, s) });
  const sumPrefix = async (
    ctx: Parameters<NonNullable<Module['endBlock']>>[0],
    prefix: Uint8Array,
    pick: (v: unknown) => bigint,
  ) => {
    let sum = 0n;
    for await (const [, v] of ctx.state.iterate(prefix)) sum += pick(decode(v));
    return sum;
  };
  return {
    name: 'settlement',
    params: SETTLEMENT_PARAMS,
    messages: [
      bondOperator,
      unbondOperator,
      penalizeOperator,
      fundEscrow,
      setEscrowOperators,
      authorizeSessionKey,
      revokeSessionKey,
      requestEscrowWithdrawal,
      withdrawEscrow,
      settleInference,
      claimRewards,
    ],
    queries: settlementQueries(app),
    /** `genesis.modules.settlement.operatorBonds`: `{address, amount}` bonded at genesis (the devnet's operator). */
    async initGenesis(ctx, genesis) {
      for (const [i, b] of genesisList(
        genesis.modules?.settlement,
        'operatorBonds',
        'settlement',
      ).entries()) {
        await operatorBonds.bond(
          ctx,
          genesisAddress(b.address, `operatorBonds[${i}].address`, 'settlement'),
          genesisInteger(b.amount, `operatorBonds[${i}].amount`, 'settlement'),
        );
      }
    },
    async endBlock(ctx) {
      await operatorBonds.completeMatured(ctx);
      await pruneRequests(ctx);
    },
    invariants: {
      async escrow(ctx) {
        const held = await sumPrefix(ctx, keys.escrowPrefix, (v) => (v as bigint[])[0]!);
        const balance = await ctx.keepers.bank.balance(ctx, SETTLEMENT_ESCROW);
        return held === balance ? undefined : `escrows ${held} != ${SETTLEMENT_ESCROW} balance ${balance}`;
      },
      async claimable(ctx) {
        const owed = await sumPrefix(ctx, keys.claimablePrefix, (v) => v as bigint);
        const balance = await ctx.keepers.bank.balance(ctx, SETTLEMENT_REWARDS);
        return owed === balance ? undefined : `claimable ${owed} != ${SETTLEMENT_REWARDS} balance ${balance}`;
      },
      async operatorBonds(ctx) {
        const total = await operatorBonds.total(ctx);
        const balance = await ctx.keepers.bank.balance(ctx, OPERATOR_BONDS);
        return total === balance
          ? undefined
          : `operator bonds ${total} != ${OPERATOR_BONDS} balance ${balance}`;
      },
    },
  };
}
