import { type Address, decode, formatOpen, parseAddress } from '@openledger/core';
import type { App } from '../../app.js';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { Module } from '../../module.js';
import { queryCtx } from '../../state-values.js';
import { addressAtEnd, delegatorIndexPrefix, validatorDelegationsPrefix } from '../staking/keeper.js';
import { createDistributionKeeper, DISTRIBUTION, REWARD_SCALE, startKey } from './keeper.js';

export {
  DISTRIBUTION,
  type DistributionKeeper,
  REWARD_SCALE,
  type Totals,
  type ValidatorRewards,
} from './keeper.js';

/**
 * Fee distribution (DESIGN §4.2): at the end of every block the fee collector's gas fees and the
 * stakers' deposits go to the validators by bonded power, minus commission, through lazy F1
 * accumulators. Rewards are paid by `WithdrawRewards` or automatically when a stake changes.
 */
export function distributionModule(app: App): Module {
  const { keeper, hooks } = createDistributionKeeper();
  app.setKeeper('distribution', keeper);
  if (!app.keepers.staking) throw new Error('register the staking module before the distribution module');
  app.keepers.staking.addHooks(hooks);

  const requireValidator = async (ctx: Ctx, address: Address) => {
    const v = await ctx.keepers.staking.validator(ctx, address);
    if (!v) throw new ChainError('NOT_FOUND', `${address} is not a validator`);
    return v;
  };

  return {
    name: 'distribution',
    messages: [
      {
        kind: 'WithdrawRewards',
        description:
          "Withdraw a delegation's rewards (and the validator's commission, when sent by the operator).",
        fields: [{ name: 'validator', type: 'address' }],
        baseGas: 15_000n,
        async handle(ctx: Ctx, msg: { from: Address; validator: Address }) {
          await keeper.withdraw(ctx, await requireValidator(ctx, msg.validator), msg.from);
        },
      },
    ],

    async endBlock(ctx) {
      await keeper.distribute(ctx);
    },

    queries: {
      /** A delegator's pending rewards per validator, and the commission of the validators it operates. */
      async rewards(q, args) {
        const ctx = queryCtx(q, app.keepers);
        const delegator = parseAddress(String(args.delegator));
        const out = [];
        let total = 0n;
        for await (const [key] of ctx.iterate(delegatorIndexPrefix(delegator))) {
          const v = await requireValidator(ctx, addressAtEnd(key));
          const reward = await keeper.pendingReward(ctx, v, delegator);
          total += reward;
          out.push({ validator: v.operator, reward });
        }
        const own = await ctx.keepers.staking.validator(ctx, delegator);
        const commission = own ? (await keeper.validatorRewards(ctx, delegator)).commission : 0n;
        return { delegator, rewards: out, total, commission };
      },
      async validator(q, args) {
        const ctx = queryCtx(q, app.keepers);
        const validator = parseAddress(String(args.address));
        return { validator, ...(await keeper.validatorRewards(ctx, validator)), scale: REWARD_SCALE };
      },
      async totals(q) {
        const ctx = queryCtx(q, app.keepers);
        const totals = await keeper.totals(ctx);
        return {
          account: DISTRIBUTION,
          balance: await ctx.keepers.bank.balance(ctx, DISTRIBUTION),
          ...totals,
          scale: REWARD_SCALE,
        };
      },
    },

    invariants: {
      /**
       * Every base unit that entered is accounted for: received − paid = Σ outstanding + Σ commission
       * + dust + pending deposits, the module account covers it, and no validator's delegators can
       * claim more than its outstanding rewards (so withdrawable ≤ distributed; rounding never mints).
       */
      async accounting(ctx) {
        const totals = await keeper.totals(ctx);
        let owed = totals.dust + totals.pending;
        for (const v of await ctx.keepers.staking.validators(ctx)) {
          const r = await keeper.validatorRewards(ctx, v.operator);
          owed += r.outstanding + r.commission;
          let claimable = 0n;
          for await (const [key, value] of ctx.state.iterate(validatorDelegationsPrefix(v.operator))) {
            const delegator = addressAtEnd(key);
            const start = await ctx.state.get(startKey(v.operator, delegator));
            const from = start ? (decode(start) as bigint) : 0n;
            if (from > r.rewardPerShare)
              return `delegation ${delegator}@${v.operator} starts after the accumulator`;
            claimable += ((decode(value) as bigint) * (r.rewardPerShare - from)) / REWARD_SCALE;
          }
          if (claimable > r.outstanding) {
            return `delegators of ${v.operator} can claim ${claimable}, more than the ${r.outstanding} outstanding`;
          }
        }
        if (totals.received - totals.paid !== owed) {
          return `received ${totals.received} − paid ${totals.paid} != outstanding + commission + dust + pending ${owed}`;
        }
        const balance = await ctx.keepers.bank.balance(ctx, DISTRIBUTION);
        if (balance < owed) {
          return `distribution account holds ${formatOpen(balance)} OPEN, less than the ${formatOpen(owed)} OPEN it owes`;
        }
        return undefined;
      },
    },
  };
}
