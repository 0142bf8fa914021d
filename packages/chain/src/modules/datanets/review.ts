import { appendToFrontier, frontierRoot, versionLeaf } from '@openledger/attribution/rules';
import { fromHex, type Hex, toHex } from '@openledger/core';
import { GOVERNANCE } from '../../app.js';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { MessageDef } from '../../module.js';
import { holdSlashed } from '../shared/external.js';
import { addAmount, checkText, param } from '../shared/state.js';
import { requireCurator } from './contribute.js';
import { DATANET_BONDS } from './keeper.js';
import {
  type Contribution,
  contributorEntryToValue,
  frontierFromValue,
  frontierToValue,
  getContributorEntry,
  isCurator,
  keys,
  putContribution,
  putDatanet,
  requireContribution,
  requireDatanet,
  versionToValue,
} from './state.js';

function requirePending(c: Contribution): void {
  if (c.status !== 'pending') {
    throw new ChainError('CONTRIBUTION_NOT_PENDING', `contribution ${c.id} was already ${c.status}`, {
      metaMessages: [
        'Only pending contributions can be approved or rejected; see `openledger datanet pending`.',
      ],
    });
  }
}

/**
 * `ApproveContribution` (DESIGN §4.4 *fixed*): appends the leaf sha256(0x02 ‖ contributor ‖ version ‖
 * firstRow ‖ rowCount ‖ rowsRoot) to the Datanet's version tree and records the new version's root.
 * PERF: O(log versions) hashes (the frontier), O(1) state writes besides it.
 */
export const approveContribution: MessageDef<{ contribution: Hex }> = {
  kind: 'ApproveContribution',
  description:
    'Accept a pending contribution: its rows become the next version of the Datanet (curators only).',
  fields: [{ name: 'contribution', type: 'bytes32' }],
  baseGas: 20_000n,
  async handle(ctx, msg) {
    const c = await requireContribution(ctx, msg.contribution);
    const d = await requireDatanet(ctx, c.datanet);
    requireCurator(d, msg.from);
    requirePending(c);
    const version = d.versionCount + 1n;
    const firstRow = d.totalRows;
    const leaf = versionLeaf({
      contributor: fromHex(c.contributor),
      version,
      firstRow,
      rowCount: c.rowCount,
      rowsRoot: fromHex(c.rowsRoot),
    });
    const stored = await ctx.getValue(keys.frontier(d.id));
    const frontier = appendToFrontier(
      stored === undefined ? { size: 0, nodes: [] } : frontierFromValue(stored),
      leaf,
    );
    const root = frontierRoot(frontier);
    ctx.setValue(keys.frontier(d.id), frontierToValue(frontier));
    const rootHex = toHex(root);
    ctx.setValue(
      keys.version(d.id, version),
      versionToValue({
        version,
        contribution: c.id,
        contributor: c.contributor,
        firstRow,
        rowCount: c.rowCount,
        rowsRoot: c.rowsRoot,
        leaf: toHex(leaf),
        root: rootHex,
        approvalHeight: BigInt(ctx.block.height),
        approvalTime: ctx.block.time,
      }),
    );
    putDatanet(ctx, { ...d, versionCount: version, totalRows: firstRow + c.rowCount });
    const entry = await getContributorEntry(ctx, d.id, c.contributor);
    ctx.setValue(
      keys.contributorIndex(d.id, c.contributor),
      contributorEntryToValue({
        firstVersion: entry?.firstVersion ?? version,
        acceptedRows: (entry?.acceptedRows ?? 0n) + c.rowCount,
        acceptedContributions: (entry?.acceptedContributions ?? 0n) + 1n,
      }),
    );
    ctx.delete(keys.pending(d.id, c.seq));
    const releaseDelay = await param(ctx, 'datanets', 'bondReleaseDelay');
    putContribution(ctx, {
      ...c,
      status: 'approved',
      version,
      decidedHeight: BigInt(ctx.block.height),
      bondReleaseAt: ctx.block.time + releaseDelay,
    });
    ctx.emit('datanets.approved', {
      datanet: d.id,
      contribution: c.id,
      contributor: c.contributor,
      curator: msg.from,
      version,
      firstRow,
      rowCount: c.rowCount,
      root: rootHex,
    });
  },
};

/** Slashes what is left of a contribution's bond and raises its contributor's penalty score (DESIGN §4.8). */
async function penalise(ctx: Ctx, c: Contribution, reason: string): Promise<Contribution> {
  if (c.bond > 0n) {
    await holdSlashed(ctx, DATANET_BONDS, c.bond, { offender: c.contributor, reason, module: 'datanets' });
  }
  const score = await addAmount(ctx, keys.penalty(c.contributor), 1n);
  ctx.emit('datanets.penalised', {
    contribution: c.id,
    contributor: c.contributor,
    slashed: c.bond,
    score,
    reason,
  });
  return { ...c, bond: 0n, flagged: true };
}

/**
 * `RejectContribution`: refuses a pending contribution; its bond returns, unless rejected as adversarial,
 * which slashes it (DESIGN §4.2, §4.4) and raises the contributor's penalty score.
 */
export const rejectContribution: MessageDef<{ contribution: Hex; adversarial: boolean; reason: string }> = {
  kind: 'RejectContribution',
  description: 'Refuse a pending contribution (curators only); adversarial = true slashes its bond.',
  fields: [
    { name: 'contribution', type: 'bytes32' },
    { name: 'adversarial', type: 'bool' },
    { name: 'reason', type: 'string' },
  ],
  baseGas: 10_000n,
  async handle(ctx, msg) {
    checkText('reason', msg.reason, 512);
    let c = await requireContribution(ctx, msg.contribution);
    const d = await requireDatanet(ctx, c.datanet);
    requireCurator(d, msg.from);
    requirePending(c);
    if (msg.adversarial) {
      c = { ...(await penalise(ctx, c, msg.reason || 'adversarial contribution')), adversarial: true };
    } else if (c.bond > 0n) {
      await ctx.keepers.bank.transfer(ctx, DATANET_BONDS, c.contributor, c.bond);
      c = { ...c, bond: 0n };
    }
    ctx.delete(keys.pending(d.id, c.seq));
    putContribution(ctx, { ...c, status: 'rejected', decidedHeight: BigInt(ctx.block.height) });
    ctx.emit('datanets.rejected', {
      datanet: d.id,
      contribution: c.id,
      contributor: c.contributor,
      curator: msg.from,
      adversarial: msg.adversarial,
      reason: msg.reason,
    });
  },
};

/**
 * `FlagContribution` (DESIGN §4.8): a curator of its Datanet, or a passed penalty proposal, flags a
 * contribution as biased, redundant or adversarial: the bond it still holds is slashed and the
 * contributor's penalty score rises. A pending contribution is rejected with it. Once per contribution.
 */
export const flagContribution: MessageDef<{ contribution: Hex; reason: string }> = {
  kind: 'FlagContribution',
  description:
    'Penalise a contribution (its curators, or governance): slash its bond, raise the penalty score.',
  treasury: true,
  fields: [
    { name: 'contribution', type: 'bytes32' },
    { name: 'reason', type: 'string' },
  ],
  baseGas: 10_000n,
  async validate(ctx, msg) {
    const c = await requireContribution(ctx, msg.contribution);
    if (c.flagged) throw new ChainError('ALREADY_FLAGGED', `contribution ${c.id} was already penalised`);
  },
  async handle(ctx, msg) {
    checkText('reason', msg.reason, 512, true);
    const c = await requireContribution(ctx, msg.contribution);
    const d = await requireDatanet(ctx, c.datanet);
    if (msg.from !== GOVERNANCE && !isCurator(d, msg.from)) {
      throw new ChainError(
        'UNAUTHORIZED',
        `${msg.from} is neither a curator of Datanet ${d.id} nor governance`,
      );
    }
    if (c.flagged) throw new ChainError('ALREADY_FLAGGED', `contribution ${c.id} was already penalised`);
    let next = await penalise(ctx, c, msg.reason);
    if (c.status === 'pending') {
      ctx.delete(keys.pending(d.id, c.seq));
      next = { ...next, status: 'rejected', adversarial: true, decidedHeight: BigInt(ctx.block.height) };
    }
    putContribution(ctx, next);
    ctx.emit('datanets.flagged', { datanet: d.id, contribution: c.id, by: msg.from, reason: msg.reason });
  },
};

/** `WithdrawContributionBond`: returns an approved contribution's bond once `bondReleaseDelay` has passed. */
export const withdrawContributionBond: MessageDef<{ contribution: Hex }> = {
  kind: 'WithdrawContributionBond',
  description:
    'Take back the bond of an approved contribution after the release delay (its contributor only).',
  fields: [{ name: 'contribution', type: 'bytes32' }],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    const c = await requireContribution(ctx, msg.contribution);
    if (c.contributor.toLowerCase() !== msg.from.toLowerCase()) {
      throw new ChainError('UNAUTHORIZED', `only the contributor ${c.contributor} may withdraw this bond`);
    }
    if (c.bond === 0n) throw new ChainError('NOTHING_TO_WITHDRAW', `contribution ${c.id} holds no bond`);
    if (c.status !== 'approved') {
      throw new ChainError(
        'BOND_LOCKED',
        `contribution ${c.id} is ${c.status}; its bond is released after approval`,
      );
    }
    if (ctx.block.time < c.bondReleaseAt) {
      throw new ChainError(
        'BOND_LOCKED',
        `the bond of ${c.id} is locked until block time ${c.bondReleaseAt} (now ${ctx.block.time})`,
      );
    }
    await ctx.keepers.bank.transfer(ctx, DATANET_BONDS, c.contributor, c.bond);
    putContribution(ctx, { ...c, bond: 0n });
    ctx.emit('datanets.bondReleased', { contribution: c.id, contributor: c.contributor, amount: c.bond });
  },
};
