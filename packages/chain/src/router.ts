import type { Ctx } from './context.js';
import type { MessageFields } from './tx.js';

/**
 * Executes a message on behalf of `ctx.sender` through the same handlers transactions use. The
 * governance module runs a proposal's messages this way (Cosmos gov v1), so no module needs to know
 * about governance: a message marked `authority: 'governance'` only checks the sender.
 */
export interface RouterKeeper {
  /** Executes a message given its kind and canonical body (the `Msg.body` of DESIGN §3). */
  dispatchBody(ctx: Ctx, kind: string, body: Uint8Array): Promise<void>;
  dispatch(ctx: Ctx, kind: string, fields: MessageFields): Promise<void>;
  /** Checks that a body decodes for its kind (proposal validation at submit time). */
  validateBody(kind: string, body: Uint8Array): MessageFields;
}
