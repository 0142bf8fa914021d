import { type Address, BaseError, fromHex } from '@openledger/core';
import { type App, GOVERNANCE } from '../../app.js';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { nextSequence } from '../../state-values.js';
import {
  PROPOSAL_SEQUENCE_KEY,
  type Proposal,
  type ProposalMessage,
  saveProposal,
  votingStarts,
} from './proposal.js';
import type { GovStakeKeeper } from './stake.js';

/** Messages that steer governance itself and may not ride inside a proposal. */
export const GOVERNANCE_OWN_KINDS: ReadonlySet<string> = new Set([
  'Propose',
  'Vote',
  'ExecuteProposal',
  'CancelProposal',
]);
export const MAX_PROPOSAL_MESSAGES = 16;
export const MAX_TITLE_LENGTH = 200;

export type ProposeMessage = {
  from: Address;
  title: string;
  description: string;
  messages: ProposalMessage[];
};

/**
 * Submits a proposal (DESIGN §4.3): every carried message must decode for its kind and pass its
 * kind's `validate`; the proposer needs `proposalThreshold` votes. Voting opens `votingDelay` after
 * this block's time. Gas: the messages' validation reads plus one proposal write.
 */
export async function submitProposal(ctx: Ctx, app: App, stake: GovStakeKeeper, msg: ProposeMessage) {
  const title = msg.title.trim();
  if (title.length === 0 || title.length > MAX_TITLE_LENGTH) {
    throw new ChainError('INVALID_MESSAGE', `a proposal title has 1 to ${MAX_TITLE_LENGTH} characters`);
  }
  if (msg.messages.length === 0 || msg.messages.length > MAX_PROPOSAL_MESSAGES) {
    throw new ChainError(
      'INVALID_MESSAGE',
      `a proposal carries 1 to ${MAX_PROPOSAL_MESSAGES} messages, got ${msg.messages.length}`,
    );
  }
  let treasury = false;
  for (const [i, m] of msg.messages.entries()) {
    const where = `messages[${i}] (${m.kind})`;
    if (GOVERNANCE_OWN_KINDS.has(m.kind)) {
      throw new ChainError('INVALID_MESSAGE', `${where}: a proposal cannot carry a ${m.kind} message`);
    }
    try {
      const fields = ctx.keepers.router.validateBody(m.kind, fromHex(m.body));
      const def = app.messageDef(m.kind);
      // checks against the current state; the layer is dropped, so they change nothing
      if (def.validate)
        await def.validate(ctx.child({ sender: GOVERNANCE }), { ...fields, from: GOVERNANCE });
      if (def.treasury) treasury = true;
    } catch (e) {
      if (e instanceof BaseError && e.code !== 'OUT_OF_GAS') {
        throw new ChainError(e.code, `${where}: ${e.shortMessage}`, { metaMessages: e.metaMessages ?? [] });
      }
      throw e;
    }
  }

  const params = ctx.keepers.params;
  const threshold = await params.get(ctx, 'gov', 'proposalThreshold');
  const power = await stake.votes(ctx, msg.from);
  if (power < threshold) {
    throw new ChainError(
      'BELOW_PROPOSAL_THRESHOLD',
      `proposing needs ${threshold} gOPEN votes (base units); ${msg.from} has ${power}`,
      { metaMessages: ['Lock OPEN into governance (openledger gov lock) or have votes delegated to you.'] },
    );
  }

  const now = ctx.block.time;
  const voteStart = now + (await params.get(ctx, 'gov', 'votingDelay'));
  const voteEnd = voteStart + (await params.get(ctx, 'gov', 'votingPeriod'));
  const executableAt = voteEnd + (await params.get(ctx, 'gov', 'timelock'));
  const expiresAt = executableAt + (await params.get(ctx, 'gov', 'executionGrace'));
  const quorumBps = await params.get(ctx, 'gov', treasury ? 'treasuryQuorumBps' : 'quorumBps');
  const proposal: Proposal = {
    id: await nextSequence(ctx, PROPOSAL_SEQUENCE_KEY),
    proposer: msg.from,
    title,
    description: msg.description,
    messages: msg.messages.map((m) => ({ kind: m.kind, body: m.body })),
    treasury,
    status: 'Pending',
    createdHeight: BigInt(ctx.block.height),
    createdTime: now,
    voteStart,
    voteEnd,
    executableAt,
    expiresAt,
    quorumBps,
    snapshotHeight: 0n,
    totalAtSnapshot: 0n,
    quorum: 0n,
    forVotes: 0n,
    againstVotes: 0n,
    abstainVotes: 0n,
    reason: '',
    updatedHeight: 0n,
  };
  saveProposal(ctx, proposal);
  votingStarts.push(ctx, voteStart, proposal.id, null);
  ctx.emit('gov.propose', {
    id: proposal.id,
    proposer: msg.from,
    title,
    kinds: msg.messages.map((m) => m.kind).join(','),
    treasury,
    voteStart,
    voteEnd,
    executableAt,
    expiresAt,
  });
  return proposal;
}
