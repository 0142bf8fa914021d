import { decode, toHex } from '@openledger/core';
import type { App } from '../../app.js';
import type { Module } from '../../module.js';
import { queryCtx } from '../shared/external.js';
import { readAmount, writeAmount } from '../shared/state.js';
import { contribute } from './contribute.js';
import { createDatanetsKeeper, DATANET_BONDS, DATANET_REWARDS } from './keeper.js';
import { buyTrainingLicence } from './licence.js';
import { createDatanet, setDatanetAllowList, updateDatanet } from './manage.js';
import { DATANETS_PARAMS } from './params.js';
import { datanetsQueries } from './queries.js';
import {
  approveContribution,
  flagContribution,
  rejectContribution,
  withdrawContributionBond,
} from './review.js';
import { contributionFromValue, dk, keys } from './state.js';

export { DATANET_BONDS, DATANET_REWARDS, type DatanetsKeeper } from './keeper.js';
export { datanetsDevnetParams } from './params.js';
export type { Contribution, Datanet, Licence, VersionRecord } from './state.js';

/**
 * The datanets module (DESIGN §4.4): Datanets and their metadata, contributions and curation, the
 * append-only version tree (frontier in state, O(log n) per approval), the contributor index,
 * training licences credited through a per-Datanet Fenwick tree of reward-per-row, and penalties.
 */
export function datanetsModule(app: App): Module {
  const keeper = createDatanetsKeeper();
  app.setKeeper('datanets', keeper);
  // a reversed contribution slash (ReverseSlash on appeal) returns the bond and lowers the penalty score
  app.keepers.slashing.registerReturn('datanets', {
    account: DATANET_BONDS,
    async onReturn(ctx, subject, amount) {
      await ctx.keepers.bank.transfer(ctx, DATANET_BONDS, subject, amount);
      const score = await readAmount(ctx, keys.penalty(subject));
      writeAmount(ctx, keys.penalty(subject), score > 0n ? score - 1n : 0n);
      ctx.emit('datanets.penaltyReversed', {
        contributor: subject,
        returned: amount,
        score: score > 0n ? score - 1n : 0n,
      });
    },
  });
  return {
    name: 'datanets',
    params: DATANETS_PARAMS,
    messages: [
      createDatanet,
      updateDatanet,
      setDatanetAllowList,
      contribute,
      approveContribution,
      rejectContribution,
      flagContribution,
      withdrawContributionBond,
      buyTrainingLicence,
    ],
    queries: datanetsQueries(app),
    invariants: {
      /** The bond account holds exactly the bonds of all contributions. */
      async bonds(ctx) {
        let held = 0n;
        for await (const [key, value] of ctx.state.iterate(dk('c', ''))) {
          held += contributionFromValue(toHex(key.subarray(key.length - 32)), decode(value)).bond;
        }
        const balance = await ctx.keepers.bank.balance(ctx, DATANET_BONDS);
        return held === balance
          ? undefined
          : `contribution bonds ${held} != ${DATANET_BONDS} balance ${balance}`;
      },
      /** The rewards account covers every contribution's unclaimed reward (claims never create OPEN). */
      async rewards(ctx) {
        const q = queryCtx(app, { state: ctx.state, height: ctx.block.height });
        let owed = 0n;
        for await (const [key, value] of ctx.state.iterate(dk('c', ''))) {
          owed += await keeper.claimable(
            q,
            contributionFromValue(toHex(key.subarray(key.length - 32)), decode(value)),
          );
        }
        const balance = await ctx.keepers.bank.balance(ctx, DATANET_REWARDS);
        return owed <= balance
          ? undefined
          : `unclaimed contribution rewards ${owed} exceed the balance ${balance}`;
      },
    },
  };
}
