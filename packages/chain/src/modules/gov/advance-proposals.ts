import type { Ctx } from '../../context.js';
import {
  executionExpiries,
  loadProposal,
  quorumOf,
  saveProposal,
  votingEnds,
  votingStarts,
} from './proposal.js';
import type { GovStakeKeeper } from './stake.js';

const ALL = Number.MAX_SAFE_INTEGER;

/**
 * Moves proposals along their timetable at the start of a block (DESIGN §4.3): Pending → Active at
 * the first block whose time reaches voteStart, taking the previous block as the snapshot; Active →
 * Queued | Defeated at the first block past voteEnd; Queued → Expired past the execution grace.
 * PERF: O(proposals whose time came), each O(1); every proposal passes each step once.
 */
export async function advanceProposals(ctx: Ctx, stake: GovStakeKeeper): Promise<void> {
  const now = ctx.block.time;
  for (const e of await votingStarts.due(ctx, now, ALL)) {
    votingStarts.remove(ctx, e.due, e.id);
    const p = await loadProposal(ctx, e.id);
    if (p?.status !== 'Pending') continue;
    p.status = 'Active';
    p.snapshotHeight = BigInt(ctx.block.height - 1);
    p.totalAtSnapshot = await stake.totalLockedAt(ctx, p.snapshotHeight);
    p.quorum = quorumOf(p.totalAtSnapshot, p.quorumBps);
    saveProposal(ctx, p);
    votingEnds.push(ctx, p.voteEnd, p.id, null);
    ctx.emit('gov.proposal_active', {
      id: p.id,
      snapshotHeight: p.snapshotHeight,
      totalAtSnapshot: p.totalAtSnapshot,
      quorum: p.quorum,
    });
  }
  for (const e of await votingEnds.due(ctx, now, ALL)) {
    votingEnds.remove(ctx, e.due, e.id);
    const p = await loadProposal(ctx, e.id);
    if (p?.status !== 'Active') continue;
    const turnout = p.forVotes + p.againstVotes + p.abstainVotes;
    if (turnout < p.quorum) {
      p.status = 'Defeated';
      p.reason = `quorum not reached: ${turnout} of ${p.quorum} votes`;
    } else if (p.forVotes <= p.againstVotes) {
      p.status = 'Defeated';
      p.reason = `For ${p.forVotes} does not exceed Against ${p.againstVotes}`;
    } else {
      p.status = 'Queued';
      executionExpiries.push(ctx, p.expiresAt, p.id, null);
    }
    saveProposal(ctx, p);
    ctx.emit(p.status === 'Queued' ? 'gov.proposal_queued' : 'gov.proposal_defeated', {
      id: p.id,
      forVotes: p.forVotes,
      againstVotes: p.againstVotes,
      abstainVotes: p.abstainVotes,
      quorum: p.quorum,
      reason: p.reason,
    });
  }
  for (const e of await executionExpiries.due(ctx, now, ALL)) {
    executionExpiries.remove(ctx, e.due, e.id);
    const p = await loadProposal(ctx, e.id);
    if (p?.status !== 'Queued') continue;
    p.status = 'Expired';
    p.reason = `not executed before time ${p.expiresAt}`;
    saveProposal(ctx, p);
    ctx.emit('gov.proposal_expired', { id: p.id });
  }
}
