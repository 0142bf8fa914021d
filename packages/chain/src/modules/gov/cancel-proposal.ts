import type { Address } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { requireProposal, saveProposal, votingStarts } from './proposal.js';

export type CancelMessage = { from: Address; proposalId: bigint };

/** Cancels a Pending proposal; only its proposer may (DESIGN §4.3). */
export async function cancelProposal(ctx: Ctx, msg: CancelMessage) {
  const p = await requireProposal(ctx, msg.proposalId);
  if (msg.from !== p.proposer) {
    throw new ChainError('NOT_PROPOSER', `only the proposer ${p.proposer} may cancel proposal ${p.id}`);
  }
  if (p.status !== 'Pending') {
    throw new ChainError(
      'PROPOSAL_NOT_PENDING',
      `proposal ${p.id} is ${p.status}; only a Pending proposal (before voting opens) can be canceled`,
    );
  }
  p.status = 'Canceled';
  votingStarts.remove(ctx, p.voteStart, p.id);
  saveProposal(ctx, p);
  ctx.emit('gov.cancel', { id: p.id, proposer: p.proposer });
}
