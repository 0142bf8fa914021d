import { type Address, moduleAddress } from '@openledger/core';
import { SYSTEM } from '../../app.js';
import type { App } from '../../app.js';
import { Ctx } from '../../context.js';
import { InfiniteGasMeter } from '../../gas.js';
import type { QueryContext } from '../../module.js';
import { FEE_COLLECTOR } from '../bank/keeper.js';

/**
 * Adapters to keepers owned by other modules (staking's distribution and slashed holding). They are
 * looked up at run time, so these modules work with or without the staking module registered:
 * without it, the stakers' share goes to the fee collector (which fee distribution drains) and slashed
 * funds to a plain `slashed` module account.
 */
type DistributionLike = {
  depositStakersReward(ctx: Ctx, from: Address, amount: bigint): Promise<void>;
};
type SlashingLike = {
  holdSlashed(
    ctx: Ctx,
    from: Address,
    amount: bigint,
    info: { offender: Address; reason: string; module: string },
  ): Promise<unknown>;
};

/** Where slashed funds wait when the staking module's slashed holding is not registered. */
export const SLASHED_FALLBACK: Address = moduleAddress('slashed');

function optionalKeeper<T>(ctx: Ctx, name: string): T | undefined {
  return (ctx.keepers as unknown as Record<string, T | undefined>)[name];
}

/** Pays the stakers' share of an inference fee into fee distribution (DESIGN §4.2). */
export async function depositStakersReward(ctx: Ctx, from: Address, amount: bigint): Promise<void> {
  if (amount === 0n) return;
  const distribution = optionalKeeper<DistributionLike>(ctx, 'distribution');
  if (distribution?.depositStakersReward) {
    await distribution.depositStakersReward(ctx, from, amount);
    return;
  }
  await ctx.keepers.bank.transfer(ctx, from, FEE_COLLECTOR, amount);
}

/**
 * Moves slashed funds into the slashed holding, where they wait out the appeal window (DESIGN §4.2).
 */
export async function holdSlashed(
  ctx: Ctx,
  from: Address,
  amount: bigint,
  info: { offender: Address; reason: string; module: string },
): Promise<void> {
  if (amount === 0n) return;
  const slashing = optionalKeeper<SlashingLike>(ctx, 'slashing');
  if (slashing?.holdSlashed) {
    await slashing.holdSlashed(ctx, from, amount, info);
    return;
  }
  await ctx.keepers.bank.transfer(ctx, from, SLASHED_FALLBACK, amount);
  ctx.emit('slashed.held', { from, amount, offender: info.offender, reason: info.reason, module: info.module });
}

/** A read-only context over a query's state (unmetered; block time 0 unless given). */
export function queryCtx(app: App, q: QueryContext, time = 0n): Ctx {
  return new Ctx(
    q.state,
    new InfiniteGasMeter(),
    { chainId: 0n, height: q.height, time, proposer: SYSTEM },
    SYSTEM,
    app.keepers,
  );
}
