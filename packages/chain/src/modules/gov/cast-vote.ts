import type { Address } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { requireProposal, SUPPORT, saveProposal, voteKey } from './proposal.js';
import type { GovStakeKeeper } from './stake.js';

export type VoteMessage = { from: Address; proposalId: bigint; support: bigint };

const SUPPORT_NAMES = ['against', 'for', 'abstain'] as const;

/**
 * Casts a vote (DESIGN §4.3) with the voting power the voter held at the proposal's snapshot (the
 * last block before voting opened), once per voter. Support: 0 against, 1 for, 2 abstain. Gas: O(1).
 */
export async function castVote(ctx: Ctx, stake: GovStakeKeeper, msg: VoteMessage) {
  const p = await requireProposal(ctx, msg.proposalId);
  if (p.status === 'Pending') {
    throw new ChainError(
      'VOTING_NOT_OPEN',
      `voting on proposal ${p.id} opens at time ${p.voteStart} (block time now ${ctx.block.time})`,
    );
  }
  if (p.status !== 'Active' || ctx.block.time >= p.voteEnd) {
    throw new ChainError(
      'VOTING_CLOSED',
      `voting on proposal ${p.id} closed at time ${p.voteEnd}; it is ${p.status}`,
    );
  }
  if (msg.support > 2n) {
    throw new ChainError(
      'INVALID_MESSAGE',
      `support must be 0 (against), 1 (for) or 2 (abstain), got ${msg.support}`,
    );
  }
  const key = voteKey(p.id, msg.from);
  if (await ctx.get(key))
    throw new ChainError('ALREADY_VOTED', `${msg.from} already voted on proposal ${p.id}`);
  const weight = await stake.votesAt(ctx, msg.from, p.snapshotHeight);
  if (weight === 0n) {
    throw new ChainError(
      'NO_VOTING_POWER',
      `${msg.from} had no gOPEN votes at proposal ${p.id}'s snapshot (block ${p.snapshotHeight})`,
      { metaMessages: ['Only gOPEN locked or delegated to you before voting opened counts.'] },
    );
  }
  ctx.setValue(key, [msg.support, weight]);
  if (msg.support === SUPPORT.for) p.forVotes += weight;
  else if (msg.support === SUPPORT.against) p.againstVotes += weight;
  else p.abstainVotes += weight;
  saveProposal(ctx, p);
  ctx.emit('gov.vote', {
    id: p.id,
    voter: msg.from,
    support: SUPPORT_NAMES[Number(msg.support)]!,
    weight,
  });
}
