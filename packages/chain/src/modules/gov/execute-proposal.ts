import { type Address, BaseError, fromHex } from '@openledger/core';
import { GOVERNANCE } from '../../app.js';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { executionExpiries, requireProposal, saveProposal } from './proposal.js';

export type ExecuteMessage = { from: Address; proposalId: bigint };

/**
 * Executes a Queued proposal after its timelock and before its grace ends (anyone may): all of its
 * messages run through the router as GOVERNANCE in one layer that commits only if every one succeeds;
 * otherwise the proposal is Failed with the reason and changes nothing (DESIGN §4.3). Running out of
 * the executor's gas fails the transaction instead and leaves the proposal Queued.
 * Gas: the carried messages' own gas.
 */
export async function executeProposal(ctx: Ctx, msg: ExecuteMessage) {
  const p = await requireProposal(ctx, msg.proposalId);
  if (p.status === 'Expired' || (p.status === 'Queued' && ctx.block.time >= p.expiresAt)) {
    throw new ChainError(
      'PROPOSAL_EXPIRED',
      `proposal ${p.id} could be executed only until time ${p.expiresAt} (execution grace); it has expired`,
    );
  }
  if (p.status !== 'Queued') {
    const when = p.status === 'Pending' || p.status === 'Active' ? `; voting ends at time ${p.voteEnd}` : '';
    throw new ChainError('PROPOSAL_NOT_QUEUED', `proposal ${p.id} is ${p.status}, not Queued${when}`);
  }
  if (ctx.block.time < p.executableAt) {
    throw new ChainError(
      'TIMELOCK_NOT_ELAPSED',
      `proposal ${p.id} can be executed from time ${p.executableAt} (timelock); block time is ${ctx.block.time}`,
    );
  }
  const layer = ctx.child({ sender: GOVERNANCE });
  let failure: string | undefined;
  for (const [i, m] of p.messages.entries()) {
    try {
      await ctx.keepers.router.dispatchBody(layer, m.kind, fromHex(m.body));
    } catch (e) {
      if (e instanceof BaseError && e.code === 'OUT_OF_GAS') throw e;
      const code = e instanceof BaseError ? e.code : 'INTERNAL_ERROR';
      const text = e instanceof BaseError ? e.shortMessage : String(e);
      failure = `messages[${i}] (${m.kind}): ${code}: ${text}`;
      break;
    }
  }
  if (failure === undefined) layer.commit();
  p.status = failure === undefined ? 'Executed' : 'Failed';
  p.reason = failure ?? '';
  executionExpiries.remove(ctx, p.expiresAt, p.id);
  saveProposal(ctx, p);
  ctx.emit(failure === undefined ? 'gov.execute' : 'gov.proposal_failed', {
    id: p.id,
    executor: msg.from,
    status: p.status,
    reason: p.reason,
  });
}
