import { type Address, addressFromBytes, decode } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { TREASURY } from '../bank/keeper.js';
import { BPS, minBig, param } from '../shared/state.js';
import {
  bondsFromValue,
  type Epoch,
  epochPoolFromValue,
  epochPoolToValue,
  FEEDBACK_POOL,
  getEpoch,
  keys,
  putEpoch,
} from './state.js';

/**
 * Closes feedback epochs (DESIGN §4.8), run at the start of each block: when block time reaches
 * start + feedbackEpoch, epoch e's pool P is shared by the ratings finalised in e — each accepted rating
 * earns ⌊P × bond / Σ accepted bonds⌋, a rater at most P × maxRaterShareBps / 10000 — into the raters'
 * claimable balances; remainders, and the pool of an epoch with no accepted rating, go to the treasury.
 * PERF: O(raters of the closing epoch), once per epoch.
 */
export async function closeEpochIfDue(ctx: Ctx): Promise<void> {
  let epoch: Epoch | undefined = await getEpoch(ctx);
  if (!epoch) {
    putEpoch(ctx, { index: 0n, start: ctx.block.time });
    return;
  }
  const length = await param(ctx, 'feedback', 'feedbackEpoch');
  if (ctx.block.time < epoch.start + length) return;
  const pool = epochPoolFromValue(await ctx.getValue(keys.epochPool(epoch.index)));
  let paid = 0n;
  if (pool.pool > 0n && pool.acceptedBonds > 0n) {
    const cap = (pool.pool * (await param(ctx, 'feedback', 'maxRaterShareBps'))) / BPS;
    const entries: Array<[Uint8Array, Uint8Array]> = [];
    for await (const entry of ctx.state.iterate(keys.epochRaterPrefix(epoch.index))) entries.push(entry);
    for (const [k, v] of entries) {
      const rater = addressFromBytes(k.subarray(k.length - 20));
      let earned = 0n;
      for (const bond of bondsFromValue(decode(v))) earned += (pool.pool * bond) / pool.acceptedBonds;
      const amount = minBig(earned, cap);
      paid += amount;
      await ctx.keepers.settlement.creditClaimable(ctx, FEEDBACK_POOL, rater, amount, 'feedback');
      ctx.delete(k);
    }
  } else {
    for await (const [k] of ctx.state.iterate(keys.epochRaterPrefix(epoch.index))) ctx.delete(k);
  }
  const remainder = pool.pool - paid;
  await ctx.keepers.bank.transfer(ctx, FEEDBACK_POOL, TREASURY, remainder);
  ctx.setValue(keys.epochPool(epoch.index), epochPoolToValue({ ...pool, paid, closed: true }));
  ctx.emit('feedback.epochClosed', {
    epoch: epoch.index,
    pool: pool.pool,
    acceptedBonds: pool.acceptedBonds,
    paid,
    toTreasury: remainder,
  });
  epoch = { index: epoch.index + 1n, start: ctx.block.time };
  putEpoch(ctx, epoch);
}

/** Adds to the current epoch's feedback pool (called by settlement for each receipt). */
export async function addToPool(ctx: Ctx, from: Address, amount: bigint): Promise<void> {
  if (amount === 0n) return;
  const epoch = await getEpoch(ctx);
  const index = epoch?.index ?? 0n;
  if (!epoch) putEpoch(ctx, { index, start: ctx.block.time });
  await ctx.keepers.bank.transfer(ctx, from, FEEDBACK_POOL, amount);
  const pool = epochPoolFromValue(await ctx.getValue(keys.epochPool(index)));
  ctx.setValue(keys.epochPool(index), epochPoolToValue({ ...pool, pool: pool.pool + amount }));
}
