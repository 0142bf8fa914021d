import { type Address, moduleAddress, readBigint, readList, type Value } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { keyspace } from '../../module.js';
import { addInteger, addressBytes, readInteger, writeInteger } from '../../state-values.js';
import { FEE_COLLECTOR } from '../bank/keeper.js';
import type { StakingHooks, Validator } from '../staking/keeper.js';

/** The module account holding undistributed stakers' deposits, unpaid rewards, commissions and dust. */
export const DISTRIBUTION: Address = moduleAddress('distribution');

/**
 * Scale of the reward-per-share accumulators: a validator's accumulator is the OPEN (base units)
 * earned per share since the validator was created, times 10^27. With stakes up to 10^9 OPEN
 * (10^27 base units) one base unit of reward still moves it.
 */
export const REWARD_SCALE = 10n ** 27n;

export const distributionKey = keyspace('distribution');
export const VALIDATOR_REWARDS_PREFIX = distributionKey('val', '');
export const validatorRewardsKey = (validator: Address) => distributionKey('val', addressBytes(validator));
export const startKey = (validator: Address, delegator: Address) =>
  distributionKey('start', addressBytes(validator), addressBytes(delegator));
/** Stakers' deposits (inference fees) waiting for the end of the block. */
export const PENDING_KEY = distributionKey('pending');
/** Rounding remainders that belong to nobody; they stay in the module account (DESIGN §4.2). */
export const DUST_KEY = distributionKey('dust');
/** Everything that ever entered the module account, and everything paid out of it. */
export const RECEIVED_KEY = distributionKey('received');
export const PAID_KEY = distributionKey('paid');

/** Per validator: the accumulator, what its delegators may still claim (an upper bound), its commission. */
export type ValidatorRewards = {
  /** Cumulative reward per share × REWARD_SCALE. */
  rewardPerShare: bigint;
  /** Credited to the delegators and not yet paid; covers every delegator's pending reward. */
  outstanding: bigint;
  /** Commission not yet withdrawn by the operator. */
  commission: bigint;
};

export type Totals = { received: bigint; paid: bigint; dust: bigint; pending: bigint };

/**
 * Fee distribution, lazy Cosmos F1 (DESIGN §4.2): each validator keeps a cumulative reward-per-share
 * accumulator; a delegation remembers the accumulator when its shares last changed, so its reward is
 * `shares × (now − then) / REWARD_SCALE`, exact (floor) and computed only on withdraw or stake change.
 */
export interface DistributionKeeper {
  /**
   * Takes the stakers' share of inference fees (DESIGN §4.6) from `from`; it is distributed with the
   * block's gas fees at the end of the block. PERF: O(1).
   */
  depositStakersReward(ctx: Ctx, from: Address, amount: bigint): Promise<void>;
  /**
   * Distributes the fee collector's balance and the deposits to the validators by power, minus
   * commission (end of block). PERF: O(validators), whatever the number of delegators.
   */
  distribute(ctx: Ctx): Promise<void>;
  pendingReward(ctx: Ctx, validator: Validator, delegator: Address): Promise<bigint>;
  /** Pays a delegation's reward (and the commission when the delegator is the operator). PERF: O(1). */
  withdraw(
    ctx: Ctx,
    validator: Validator,
    delegator: Address,
  ): Promise<{ reward: bigint; commission: bigint }>;
  validatorRewards(ctx: Ctx, validator: Address): Promise<ValidatorRewards>;
  totals(ctx: Ctx): Promise<Totals>;
}

declare module '../../keepers.js' {
  interface Keepers {
    distribution: DistributionKeeper;
  }
}

export function decodeValidatorRewards(value: Value | undefined): ValidatorRewards {
  if (value === undefined) return { rewardPerShare: 0n, outstanding: 0n, commission: 0n };
  const f = readList(value, 'validatorRewards', 3);
  return { rewardPerShare: readBigint(f[0]), outstanding: readBigint(f[1]), commission: readBigint(f[2]) };
}

/** The keeper and the staking hooks that settle a delegation's reward around each change of its shares. */
export function createDistributionKeeper(): { keeper: DistributionKeeper; hooks: StakingHooks } {
  const validatorRewards = async (ctx: Ctx, validator: Address) =>
    decodeValidatorRewards(await ctx.getValue(validatorRewardsKey(validator)));
  const saveRewards = (ctx: Ctx, validator: Address, r: ValidatorRewards) =>
    ctx.setValue(validatorRewardsKey(validator), [r.rewardPerShare, r.outstanding, r.commission]);

  const pay = async (ctx: Ctx, to: Address, amount: bigint) => {
    if (amount === 0n) return;
    await ctx.keepers.bank.transfer(ctx, DISTRIBUTION, to, amount);
    await addInteger(ctx, PAID_KEY, amount);
  };

  const pendingReward = async (ctx: Ctx, v: Validator, delegator: Address) => {
    const shares = await ctx.keepers.staking.delegationShares(ctx, v.operator, delegator);
    if (shares === 0n) return 0n;
    const r = await validatorRewards(ctx, v.operator);
    const start = await readInteger(ctx, startKey(v.operator, delegator));
    return (shares * (r.rewardPerShare - start)) / REWARD_SCALE;
  };

  /** Pays what `shares` earned since the delegation's start and restarts it at the current accumulator. */
  const settle = async (ctx: Ctx, v: Validator, delegator: Address, shares: bigint) => {
    const r = await validatorRewards(ctx, v.operator);
    const key = startKey(v.operator, delegator);
    const start = await readInteger(ctx, key);
    const reward = (shares * (r.rewardPerShare - start)) / REWARD_SCALE;
    if (reward > 0n) {
      r.outstanding -= reward;
      saveRewards(ctx, v.operator, r);
      await pay(ctx, delegator, reward);
    }
    if (shares > 0n) writeInteger(ctx, key, r.rewardPerShare);
    return { reward, rewards: r };
  };

  const hooks: StakingHooks = {
    async beforeDelegationChange(ctx, v, delegator, shares) {
      if (shares === 0n) return;
      const { reward } = await settle(ctx, v, delegator, shares);
      if (reward > 0n) {
        ctx.emit('distribution.withdraw_rewards', {
          delegator,
          validator: v.operator,
          reward,
          commission: 0n,
        });
      }
    },
    async afterDelegationChange(ctx, v, delegator, shares) {
      const r = await validatorRewards(ctx, v.operator);
      writeInteger(ctx, startKey(v.operator, delegator), shares === 0n ? 0n : r.rewardPerShare);
      if (v.shares === 0n && r.outstanding > 0n) {
        // the last delegator left with its reward paid: what remains is rounding dust
        await addInteger(ctx, DUST_KEY, r.outstanding);
        ctx.emit('distribution.dust', { validator: v.operator, amount: r.outstanding });
        r.outstanding = 0n;
        saveRewards(ctx, v.operator, r);
      }
    },
  };

  const keeper: DistributionKeeper = {
    pendingReward,
    validatorRewards,
    async totals(ctx) {
      return {
        received: await readInteger(ctx, RECEIVED_KEY),
        paid: await readInteger(ctx, PAID_KEY),
        dust: await readInteger(ctx, DUST_KEY),
        pending: await readInteger(ctx, PENDING_KEY),
      };
    },

    async depositStakersReward(ctx, from, amount) {
      if (amount < 0n) throw new ChainError('INVALID_MESSAGE', 'a stakers reward must not be negative');
      if (amount === 0n) return;
      await ctx.keepers.bank.transfer(ctx, from, DISTRIBUTION, amount);
      await addInteger(ctx, PENDING_KEY, amount);
      await addInteger(ctx, RECEIVED_KEY, amount);
      ctx.emit('distribution.stakers_deposit', { from, amount });
    },

    async distribute(ctx) {
      const bank = ctx.keepers.bank;
      const fees = await bank.balance(ctx, FEE_COLLECTOR);
      const deposits = await readInteger(ctx, PENDING_KEY);
      const total = fees + deposits;
      if (total === 0n) return;
      // validators with delegators; a validator whose shares are all gone has no one to pay
      const bonded = (await ctx.keepers.staking.validators(ctx)).filter(
        (v) => v.tokens > 0n && v.shares > 0n,
      );
      let power = 0n;
      for (const v of bonded) power += v.tokens;
      if (power === 0n) return; // nothing bonded yet: fees wait in the fee collector
      await bank.transfer(ctx, FEE_COLLECTOR, DISTRIBUTION, fees);
      await addInteger(ctx, RECEIVED_KEY, fees);
      writeInteger(ctx, PENDING_KEY, 0n);
      let dust = total;
      for (const v of bonded) {
        const share = (total * v.tokens) / power;
        const commission = (share * v.commissionBps) / 10_000n;
        const delegators = share - commission;
        const r = await validatorRewards(ctx, v.operator);
        const perShare = (delegators * REWARD_SCALE) / v.shares;
        // the most the delegators can ever claim from this step is perShare × shares / SCALE (rounded up)
        const credited = (perShare * v.shares + REWARD_SCALE - 1n) / REWARD_SCALE;
        r.rewardPerShare += perShare;
        r.outstanding += credited;
        r.commission += commission;
        saveRewards(ctx, v.operator, r);
        dust -= commission + credited;
        ctx.emit('distribution.validator_rewards', {
          validator: v.operator,
          commission,
          delegators: credited,
          rewardPerShare: r.rewardPerShare,
        });
      }
      await addInteger(ctx, DUST_KEY, dust);
      ctx.emit('distribution.distribute', { fees, deposits, validators: bonded.length, power, dust });
    },

    async withdraw(ctx, v, delegator) {
      const shares = await ctx.keepers.staking.delegationShares(ctx, v.operator, delegator);
      const isOperator = delegator === v.operator;
      if (shares === 0n && !isOperator) {
        throw new ChainError('NOT_FOUND', `${delegator} has no delegation with ${v.operator}`);
      }
      const { reward, rewards } = await settle(ctx, v, delegator, shares);
      let commission = 0n;
      if (isOperator && rewards.commission > 0n) {
        commission = rewards.commission;
        rewards.commission = 0n;
        saveRewards(ctx, v.operator, rewards);
        await pay(ctx, delegator, commission);
      }
      ctx.emit('distribution.withdraw_rewards', { delegator, validator: v.operator, reward, commission });
      return { reward, commission };
    },
  };
  return { keeper, hooks };
}
