import type { Hex } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { MessageDef } from '../../module.js';
import { TREASURY } from '../bank/keeper.js';
import { b32, checkText, deriveId, nextSeq, param } from '../shared/state.js';
import { MODEL_GRANTS } from './keeper.js';
import { keys, type Model, putModel, requireModel } from './state.js';

/**
 * The model lifecycle (DESIGN §4.5): RegisterModel (Proposed) and the governance messages ApproveModel
 * (grant reserved from the treasury, part paid now, the rest at the first Deploy), RejectModel and
 * DeprecateModel (effective voucherLifetime after it executes).
 */
export const registerModel: MessageDef<{ name: string; baseModel: string; description: string }> = {
  kind: 'RegisterModel',
  description: 'Register a model (stage Proposed); governance approves or rejects it.',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'baseModel', type: 'string' },
    { name: 'description', type: 'string' },
  ],
  baseGas: 20_000n,
  async handle(ctx, msg) {
    checkText('name', msg.name, 128, true);
    checkText('baseModel', msg.baseModel, 128, true);
    checkText('description', msg.description, 16_384);
    const seq = await nextSeq(ctx, keys.modelSeq);
    const id = deriveId('openledger.model', seq);
    const model: Model = {
      id,
      owner: msg.from,
      stage: 'Proposed',
      versionCount: 0n,
      grant: 0n,
      grantPaid: 0n,
      grantReserved: 0n,
      deprecatedAt: 0n,
      deployed: false,
      createdHeight: BigInt(ctx.block.height),
    };
    putModel(ctx, model);
    ctx.setValue(keys.meta(id), [msg.name, msg.baseModel, msg.description]);
    ctx.set(keys.byOwner(msg.from, id), b32(id));
    ctx.emit('models.registered', { model: id, owner: msg.from, name: msg.name, baseModel: msg.baseModel });
  },
};

function requireStage(m: Model, stage: Model['stage'], action: string): void {
  if (m.stage !== stage) {
    throw new ChainError(
      'INVALID_STAGE',
      `model ${m.id} is ${m.stage}; only a ${stage} model can be ${action}`,
    );
  }
}

export const approveModel: MessageDef<{ model: Hex; grant: bigint; grantAtApproval: bigint }> = {
  kind: 'ApproveModel',
  description: 'Approve a Proposed model, reserving a grant from the treasury (governance only).',
  authority: 'governance',
  treasury: true,
  fields: [
    { name: 'model', type: 'bytes32' },
    { name: 'grant', type: 'uint256' },
    { name: 'grantAtApproval', type: 'uint256' },
  ],
  baseGas: 20_000n,
  async validate(ctx, msg) {
    requireStage(await requireModel(ctx, msg.model), 'Proposed', 'approved');
    if (msg.grantAtApproval > msg.grant) {
      throw new ChainError(
        'INVALID_MESSAGE',
        `grantAtApproval ${msg.grantAtApproval} exceeds the grant ${msg.grant}`,
      );
    }
  },
  async handle(ctx, msg) {
    const m = await requireModel(ctx, msg.model);
    requireStage(m, 'Proposed', 'approved');
    if (msg.grantAtApproval > msg.grant) {
      throw new ChainError(
        'INVALID_MESSAGE',
        `grantAtApproval ${msg.grantAtApproval} exceeds the grant ${msg.grant}`,
      );
    }
    const reserved = msg.grant - msg.grantAtApproval;
    // both count toward the treasury outflow cap now (DESIGN §4.3)
    if (msg.grantAtApproval > 0n) {
      await ctx.keepers.treasury.withdraw(
        ctx,
        m.owner,
        msg.grantAtApproval,
        `grant for model ${m.id} (at approval)`,
      );
    }
    if (reserved > 0n) {
      await ctx.keepers.treasury.withdraw(
        ctx,
        MODEL_GRANTS,
        reserved,
        `grant for model ${m.id} (reserved until deploy)`,
      );
    }
    putModel(ctx, {
      ...m,
      stage: 'Approved',
      grant: msg.grant,
      grantPaid: msg.grantAtApproval,
      grantReserved: reserved,
    });
    ctx.emit('models.approved', { model: m.id, grant: msg.grant, paid: msg.grantAtApproval, reserved });
  },
};

export const rejectModel: MessageDef<{ model: Hex; reason: string }> = {
  kind: 'RejectModel',
  description: 'Reject a Proposed model (governance only).',
  authority: 'governance',
  fields: [
    { name: 'model', type: 'bytes32' },
    { name: 'reason', type: 'string' },
  ],
  baseGas: 10_000n,
  async validate(ctx, msg) {
    requireStage(await requireModel(ctx, msg.model), 'Proposed', 'rejected');
  },
  async handle(ctx, msg) {
    checkText('reason', msg.reason, 512);
    const m = await requireModel(ctx, msg.model);
    requireStage(m, 'Proposed', 'rejected');
    putModel(ctx, { ...m, stage: 'Rejected' });
    ctx.emit('models.rejected', { model: m.id, reason: msg.reason });
  },
};

export const deprecateModel: MessageDef<{ model: Hex; reason: string }> = {
  kind: 'DeprecateModel',
  description: 'Deprecate an Approved model, effective voucherLifetime later (governance only).',
  authority: 'governance',
  fields: [
    { name: 'model', type: 'bytes32' },
    { name: 'reason', type: 'string' },
  ],
  baseGas: 10_000n,
  async validate(ctx, msg) {
    requireStage(await requireModel(ctx, msg.model), 'Approved', 'deprecated');
  },
  async handle(ctx: Ctx, msg) {
    checkText('reason', msg.reason, 512);
    const m = await requireModel(ctx, msg.model);
    requireStage(m, 'Approved', 'deprecated');
    const effectiveAt = ctx.block.time + (await param(ctx, 'settlement', 'voucherLifetime'));
    // a grant still waiting for the first Deploy goes back to the treasury
    await ctx.keepers.bank.transfer(ctx, MODEL_GRANTS, TREASURY, m.grantReserved);
    putModel(ctx, { ...m, stage: 'Deprecated', deprecatedAt: effectiveAt, grantReserved: 0n });
    ctx.emit('models.deprecated', {
      model: m.id,
      effectiveAt,
      returned: m.grantReserved,
      reason: msg.reason,
    });
  },
};
