import { type Address, type Hex, moduleAddress } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { TREASURY } from '../bank/keeper.js';
import { ACC_SCALE, BPS, param, readAmount } from '../shared/state.js';
import { fenwickAdd, fenwickSuffix } from './fenwick.js';
import {
  type Contribution,
  type Datanet,
  getContribution,
  getContributorEntry,
  getDatanet,
  getVersion,
  keys,
  type Licence,
  licenceFromValue,
  putContribution,
  type VersionRecord,
} from './state.js';

/** Holds the OPEN credited to Datanet rows (licence fees, fallback shares) until contributors claim. */
export const DATANET_REWARDS: Address = moduleAddress('datanet_rewards');
/** Holds contributor bonds. */
export const DATANET_BONDS: Address = moduleAddress('datanet_bonds');

/** What other modules may ask of Datanets (DESIGN §4.4, §4.6, §4.8). */
export interface DatanetsKeeper {
  datanet(ctx: Ctx, id: Hex): Promise<Datanet | undefined>;
  contribution(ctx: Ctx, id: Hex): Promise<Contribution | undefined>;
  version(ctx: Ctx, id: Hex, version: bigint): Promise<VersionRecord | undefined>;
  licence(ctx: Ctx, model: Hex, datanet: Hex): Promise<Licence | undefined>;
  /** True when `contributor` has accepted rows in version `version` of the Datanet. PERF: one read. */
  hasAcceptedRows(ctx: Ctx, datanet: Hex, contributor: Address, version: bigint): Promise<boolean>;
  /**
   * Credits `amount` from `from` to the rows of versions ≤ `version` (DESIGN §4.6): adds
   * ⌊amount·10^18 / rows(v)⌋ to the reward-per-row at v and sends the remainder
   * amount − ⌈perRow·rows(v) / 10^18⌉ to the treasury (ceiling: keeps the module solvent).
   * PERF: O(log version).
   */
  creditVersion(
    ctx: Ctx,
    datanet: Hex,
    version: bigint,
    amount: bigint,
    from: Address,
  ): Promise<{ perRow: bigint; remainder: bigint }>;
  /** The cut in bps applied to a contributor's rewards now: penaltyCutBps above the threshold, else 0. */
  penaltyCutBps(ctx: Ctx, contributor: Address): Promise<bigint>;
  penaltyScore(ctx: Ctx, contributor: Address): Promise<bigint>;
  /** Pays a contribution's Fenwick rewards to its contributor; returns [paid, cut]. */
  claimContribution(ctx: Ctx, contribution: Contribution): Promise<{ paid: bigint; cut: bigint }>;
  /** Unclaimed reward of a contribution (before any cut). */
  claimable(ctx: Ctx, contribution: Contribution): Promise<bigint>;
}

declare module '../../keepers.js' {
  interface Keepers {
    datanets: DatanetsKeeper;
  }
}

export function createDatanetsKeeper(): DatanetsKeeper {
  const penaltyScore = (ctx: Ctx, contributor: Address) => readAmount(ctx, keys.penalty(contributor));
  const claimable = async (ctx: Ctx, c: Contribution): Promise<bigint> => {
    if (c.status !== 'approved') return 0n;
    const d = await getDatanet(ctx, c.datanet);
    if (!d) return 0n;
    const earned = await fenwickSuffix(ctx, keys.fenwick(c.datanet), c.version, d.versionCount);
    return (c.rowCount * (earned - c.claimedPerRow)) / ACC_SCALE;
  };
  const keeper: DatanetsKeeper = {
    datanet: getDatanet,
    contribution: getContribution,
    version: getVersion,
    async licence(ctx, model, datanet) {
      const v = await ctx.getValue(keys.licence(model, datanet));
      return v === undefined ? undefined : licenceFromValue(model, datanet, v);
    },
    async hasAcceptedRows(ctx, datanet, contributor, version) {
      const entry = await getContributorEntry(ctx, datanet, contributor);
      return entry !== undefined && entry.firstVersion <= version;
    },
    async creditVersion(ctx, datanet, version, amount, from) {
      if (amount < 0n) throw new ChainError('INTERNAL_ERROR', 'negative credit');
      const record = await getVersion(ctx, datanet, version);
      if (!record) {
        throw new ChainError('VERSION_NOT_FOUND', `Datanet ${datanet} has no version ${version}`);
      }
      if (amount === 0n) return { perRow: 0n, remainder: 0n };
      const rows = record.firstRow + record.rowCount;
      const perRow = (amount * ACC_SCALE) / rows;
      // The module keeps ⌈perRow·rows / 10^18⌉, not the floor DESIGN §4.6 names: claims floor the
      // accumulated Δ across several credits, so with the floor here the module could owe up to one base
      // unit per credit more than it holds (see README). perRow·rows ≤ amount·10^18, so this never exceeds amount.
      const kept = (perRow * rows + ACC_SCALE - 1n) / ACC_SCALE;
      const remainder = amount - kept;
      await ctx.keepers.bank.transfer(ctx, from, DATANET_REWARDS, kept);
      await ctx.keepers.bank.transfer(ctx, from, TREASURY, remainder);
      await fenwickAdd(ctx, keys.fenwick(datanet), version, perRow);
      ctx.emit('datanets.credited', { datanet, version, amount, rows, perRow, remainder });
      return { perRow, remainder };
    },
    penaltyScore,
    async penaltyCutBps(ctx, contributor) {
      const threshold = await param(ctx, 'datanets', 'penaltyThreshold');
      if ((await penaltyScore(ctx, contributor)) <= threshold) return 0n;
      return param(ctx, 'datanets', 'penaltyCutBps');
    },
    claimable,
    async claimContribution(ctx, c) {
      if (c.status !== 'approved') {
        throw new ChainError(
          'CONTRIBUTION_NOT_APPROVED',
          `contribution ${c.id} is ${c.status}; only approved ones earn`,
        );
      }
      const d = await getDatanet(ctx, c.datanet);
      if (!d) throw new ChainError('DATANET_NOT_FOUND', `Datanet ${c.datanet} does not exist`);
      const earned = await fenwickSuffix(ctx, keys.fenwick(c.datanet), c.version, d.versionCount);
      const owed = (c.rowCount * (earned - c.claimedPerRow)) / ACC_SCALE;
      const cutBps = await keeper.penaltyCutBps(ctx, c.contributor);
      const paid = (owed * (BPS - cutBps)) / BPS;
      const cut = owed - paid;
      putContribution(ctx, { ...c, claimedPerRow: earned });
      await ctx.keepers.bank.transfer(ctx, DATANET_REWARDS, c.contributor, paid);
      await ctx.keepers.bank.transfer(ctx, DATANET_REWARDS, TREASURY, cut);
      ctx.emit('datanets.claimed', { contribution: c.id, contributor: c.contributor, paid, cut });
      return { paid, cut };
    },
  };
  return keeper;
}
