import type { Hex } from '@openledger/core';
import { ChainError } from '../../errors.js';
import type { MessageDef } from '../../module.js';
import { readAmount } from '../shared/state.js';
import { keys, SETTLEMENT_REWARDS } from './state.js';

/**
 * `ClaimRewards`: pays the sender's claimable balance (owner, operator, contributor and rater rewards)
 * and, for each listed contribution of the sender, what it earned through its Datanet's reward-per-row
 * tree (licence fees and fallback credits).
 */
export const claimRewards: MessageDef<{ contributions: Hex[] }> = {
  kind: 'ClaimRewards',
  description:
    'Claim your rewards: inference shares, rater rewards and (listed) contributions’ Datanet credits.',
  fields: [{ name: 'contributions', type: 'bytes32[]' }],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    if (msg.contributions.length > 64)
      throw new ChainError('INVALID_MESSAGE', 'at most 64 contributions per claim');
    const claimable = await readAmount(ctx, keys.claimable(msg.from));
    let total = claimable;
    if (claimable > 0n) {
      ctx.delete(keys.claimable(msg.from));
      await ctx.keepers.bank.transfer(ctx, SETTLEMENT_REWARDS, msg.from, claimable);
    }
    const seen = new Set<string>();
    for (const id of msg.contributions) {
      if (seen.has(id)) throw new ChainError('INVALID_MESSAGE', `contribution ${id} is listed twice`);
      seen.add(id);
      const c = await ctx.keepers.datanets.contribution(ctx, id);
      if (!c) throw new ChainError('CONTRIBUTION_NOT_FOUND', `contribution ${id} does not exist`);
      if (c.contributor.toLowerCase() !== msg.from.toLowerCase()) {
        throw new ChainError('UNAUTHORIZED', `contribution ${id} belongs to ${c.contributor}`);
      }
      total += (await ctx.keepers.datanets.claimContribution(ctx, c)).paid;
    }
    if (total === 0n) {
      throw new ChainError('NOTHING_TO_CLAIM', `${msg.from} has nothing to claim`, {
        metaMessages: ['See your balances with: openledger rewards show.'],
      });
    }
    ctx.emit('settlement.claimed', { address: msg.from, amount: total, claimable });
  },
};
