import {
  type Address,
  addressFromBytes,
  decode,
  formatOpen,
  fromHex,
  type Hex,
  moduleAddress,
  readBigint,
  readBytes,
  readList,
  readString,
  toHex,
  u64be,
  type Value,
} from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { keyspace } from '../../module.js';
import { addInteger, addressBytes, nextSequence, readInteger, writeInteger } from '../../state-values.js';
import { TimeQueue } from '../../time-queue.js';

/** The module account holding every bonded and unbonding OPEN of validators and delegators. */
export const STAKING: Address = moduleAddress('staking');

export const stakingKey = keyspace('staking');
export const VALIDATOR_PREFIX = stakingKey('val', '');
export const TOTAL_BONDED_KEY = stakingKey('bonded');
export const TOTAL_UNBONDING_KEY = stakingKey('unbonding');
const UNBONDING_SEQUENCE_KEY = stakingKey('useq');
const VALIDATOR_COUNT_KEY = stakingKey('nval');
export const unbondingQueue = new TimeQueue(stakingKey('uq', ''));

export const validatorKey = (operator: Address) => stakingKey('val', addressBytes(operator));
const consensusKeyIndex = (consensusKey: Uint8Array) => stakingKey('cons', consensusKey);
/** Delegation shares, by validator then delegator. */
export const delegationKey = (validator: Address, delegator: Address) =>
  stakingKey('del', addressBytes(validator), addressBytes(delegator));
export const validatorDelegationsPrefix = (validator: Address) =>
  stakingKey('del', addressBytes(validator), '');
/** Index: the validators a delegator has shares with. */
const delegatorIndexKey = (delegator: Address, validator: Address) =>
  stakingKey('dby', addressBytes(delegator), addressBytes(validator));
export const delegatorIndexPrefix = (delegator: Address) => stakingKey('dby', addressBytes(delegator), '');
/** Index: a delegator's unbonding entries, id → completion time. */
const delegatorUnbondingKey = (delegator: Address, id: bigint) =>
  stakingKey('uby', addressBytes(delegator), u64be(id));
export const delegatorUnbondingPrefix = (delegator: Address) =>
  stakingKey('uby', addressBytes(delegator), '');

/**
 * A validator. Its `tokens` are the OPEN bonded to it (self-bond and delegations); delegators hold
 * `shares` of them, so a slash lowers every delegator's stake at once without touching delegations.
 */
export type Validator = {
  operator: Address;
  /** ed25519 public key CometBFT signs with (DESIGN §3 Consensus). */
  consensusKey: Hex;
  commissionBps: bigint;
  tokens: bigint;
  shares: bigint;
  moniker: string;
  createdHeight: bigint;
};

export type UnbondingEntry = {
  id: bigint;
  delegator: Address;
  validator: Address;
  amount: bigint;
  /** Block time from which the OPEN is released (end of that block). */
  completionTime: bigint;
};

/** Called around every change of a delegation's shares (distribution settles rewards here). */
export interface StakingHooks {
  afterValidatorCreated?(ctx: Ctx, validator: Validator): Promise<void>;
  /** Before `delegator`'s shares with `validator` (currently `shares`) change. */
  beforeDelegationChange?(ctx: Ctx, validator: Validator, delegator: Address, shares: bigint): Promise<void>;
  /** After the change: the delegation now has `shares`, the validator `validator.shares` in total. */
  afterDelegationChange?(ctx: Ctx, validator: Validator, delegator: Address, shares: bigint): Promise<void>;
}

export type CreateValidatorParameters = {
  operator: Address;
  consensusKey: Hex;
  commissionBps: bigint;
  selfBond: bigint;
  moniker: string;
};

/** Validators, delegations, unbonding and slashing of bonded stake (DESIGN §4.2). */
export interface StakingKeeper {
  validator(ctx: Ctx, operator: Address): Promise<Validator | undefined>;
  /** Every validator, ascending by address. PERF: O(validators) ≤ `maxValidators`. */
  validators(ctx: Ctx): Promise<Validator[]>;
  delegationShares(ctx: Ctx, validator: Address, delegator: Address): Promise<bigint>;
  /** The OPEN a delegation is worth now: ⌊shares × tokens / totalShares⌋. */
  delegationAmount(ctx: Ctx, validator: Address, delegator: Address): Promise<bigint>;
  totalBonded(ctx: Ctx): Promise<bigint>;
  createValidator(ctx: Ctx, p: CreateValidatorParameters): Promise<Validator>;
  /** Bonds `amount` OPEN of `delegator` to `validator`. */
  delegate(ctx: Ctx, validator: Address, delegator: Address, amount: bigint): Promise<void>;
  /** Starts unbonding `amount` OPEN; released after `unbondingPeriod`. */
  undelegate(ctx: Ctx, validator: Address, delegator: Address, amount: bigint): Promise<UnbondingEntry>;
  /** Releases matured unbonding entries, at most `maxReleasesPerBlock` (end of block). */
  releaseMatured(ctx: Ctx): Promise<void>;
  /**
   * Slashes `fractionBps` of a validator's bonded tokens (every delegator loses the same fraction);
   * the OPEN go to the slashed account for the appeal window. Returns the amount and the slash id.
   */
  slash(
    ctx: Ctx,
    validator: Address,
    fractionBps: bigint,
    reason: string,
  ): Promise<{ amount: bigint; slashId: bigint }>;
  addHooks(hooks: StakingHooks): void;
}

declare module '../../keepers.js' {
  interface Keepers {
    staking: StakingKeeper;
  }
}

function encodeValidator(v: Validator): Value {
  return [fromHex(v.consensusKey, 32), v.commissionBps, v.tokens, v.shares, v.moniker, v.createdHeight];
}

export function decodeValidator(operator: Address, value: Value): Validator {
  const f = readList(value, 'validator', 6);
  return {
    operator,
    consensusKey: toHex(readBytes(f[0], 'validator.consensusKey', 32)),
    commissionBps: readBigint(f[1]),
    tokens: readBigint(f[2]),
    shares: readBigint(f[3]),
    moniker: readString(f[4]),
    createdHeight: readBigint(f[5]),
  };
}

export function decodeUnbonding(id: bigint, completionTime: bigint, value: Value): UnbondingEntry {
  const f = readList(value, 'unbonding', 3);
  return {
    id,
    completionTime,
    delegator: addressFromBytes(readBytes(f[0], 'unbonding.delegator', 20)),
    validator: addressFromBytes(readBytes(f[1], 'unbonding.validator', 20)),
    amount: readBigint(f[2]),
  };
}

/** The address in the last 20 bytes of a key. */
export function addressAtEnd(key: Uint8Array): Address {
  return addressFromBytes(key.subarray(key.length - 20));
}

export function createStakingKeeper(): StakingKeeper {
  const hooks: StakingHooks[] = [];

  const validator = async (ctx: Ctx, operator: Address) => {
    const v = await ctx.getValue(validatorKey(operator));
    return v === undefined ? undefined : decodeValidator(operator, v);
  };
  const requireValidator = async (ctx: Ctx, operator: Address) => {
    const v = await validator(ctx, operator);
    if (!v) {
      throw new ChainError('NOT_FOUND', `${operator} is not a validator`, {
        metaMessages: ['List validators with `openledger stake validators`.'],
      });
    }
    return v;
  };
  const saveValidator = (ctx: Ctx, v: Validator) =>
    ctx.setValue(validatorKey(v.operator), encodeValidator(v));
  const setShares = (ctx: Ctx, validatorAddress: Address, delegator: Address, shares: bigint) => {
    writeInteger(ctx, delegationKey(validatorAddress, delegator), shares);
    if (shares === 0n) ctx.delete(delegatorIndexKey(delegator, validatorAddress));
    else ctx.setValue(delegatorIndexKey(delegator, validatorAddress), null);
  };
  const before = async (ctx: Ctx, v: Validator, delegator: Address, shares: bigint) => {
    for (const h of hooks) await h.beforeDelegationChange?.(ctx, v, delegator, shares);
  };
  const after = async (ctx: Ctx, v: Validator, delegator: Address, shares: bigint) => {
    for (const h of hooks) await h.afterDelegationChange?.(ctx, v, delegator, shares);
  };

  const delegate = async (ctx: Ctx, validatorAddress: Address, delegator: Address, amount: bigint) => {
    if (amount <= 0n) throw new ChainError('INVALID_MESSAGE', 'bond amount must be positive');
    const v = await requireValidator(ctx, validatorAddress);
    if (v.tokens === 0n && v.shares > 0n) {
      throw new ChainError(
        'VALIDATOR_SLASHED_OUT',
        `validator ${validatorAddress} has been slashed to zero tokens; bond to another validator`,
      );
    }
    // the first shares are 1:1 with OPEN; later ones at the validator's current exchange rate
    const newShares = v.shares === 0n ? amount : (amount * v.shares) / v.tokens;
    if (newShares === 0n) {
      throw new ChainError('AMOUNT_TOO_SMALL', `${amount} base units buy no share of ${validatorAddress}`);
    }
    const key = delegationKey(validatorAddress, delegator);
    const shares = await readInteger(ctx, key);
    await before(ctx, v, delegator, shares);
    await ctx.keepers.bank.transfer(ctx, delegator, STAKING, amount);
    v.tokens += amount;
    v.shares += newShares;
    saveValidator(ctx, v);
    setShares(ctx, validatorAddress, delegator, shares + newShares);
    await addInteger(ctx, TOTAL_BONDED_KEY, amount);
    await after(ctx, v, delegator, shares + newShares);
    ctx.emit('staking.bond', { delegator, validator: validatorAddress, amount, shares: newShares });
  };

  return {
    validator,
    async validators(ctx) {
      const out: Validator[] = [];
      for await (const [key, value] of ctx.iterate(VALIDATOR_PREFIX)) {
        out.push(decodeValidator(addressAtEnd(key), decode(value)));
      }
      return out;
    },
    delegationShares: (ctx, v, d) => readInteger(ctx, delegationKey(v, d)),
    async delegationAmount(ctx, validatorAddress, delegator) {
      const v = await validator(ctx, validatorAddress);
      if (!v || v.shares === 0n) return 0n;
      return ((await readInteger(ctx, delegationKey(validatorAddress, delegator))) * v.tokens) / v.shares;
    },
    totalBonded: (ctx) => readInteger(ctx, TOTAL_BONDED_KEY),
    addHooks(h) {
      hooks.push(h);
    },

    async createValidator(ctx, p) {
      if (await validator(ctx, p.operator)) {
        throw new ChainError('ALREADY_EXISTS', `${p.operator} is already a validator`);
      }
      const consensusKey = fromHex(p.consensusKey, 32);
      if (consensusKey.every((b) => b === 0)) {
        throw new ChainError('INVALID_MESSAGE', 'the consensus key must be an ed25519 public key, not zeros');
      }
      if (await ctx.get(consensusKeyIndex(consensusKey))) {
        throw new ChainError('ALREADY_EXISTS', `consensus key ${p.consensusKey} is already registered`);
      }
      if (p.commissionBps > 10_000n) {
        throw new ChainError(
          'INVALID_MESSAGE',
          `commission ${p.commissionBps} bps is above 10000 bps (100%)`,
        );
      }
      if (p.moniker.length > 64)
        throw new ChainError('INVALID_MESSAGE', 'moniker is longer than 64 characters');
      const minSelfBond = await ctx.keepers.params.get(ctx, 'staking', 'minSelfBond');
      if (p.selfBond < minSelfBond || p.selfBond === 0n) {
        throw new ChainError(
          'SELF_BOND_TOO_LOW',
          `a validator bonds at least ${formatOpen(minSelfBond > 0n ? minSelfBond : 1n)} OPEN of its own, got ${formatOpen(p.selfBond)} OPEN`,
        );
      }
      const maxValidators = await ctx.keepers.params.get(ctx, 'staking', 'maxValidators');
      const count = await readInteger(ctx, VALIDATOR_COUNT_KEY);
      if (count >= maxValidators) {
        throw new ChainError(
          'TOO_MANY_VALIDATORS',
          `the validator set is full (${maxValidators} validators)`,
        );
      }
      ctx.setValue(VALIDATOR_COUNT_KEY, count + 1n);
      const v: Validator = {
        operator: p.operator,
        consensusKey: toHex(consensusKey),
        commissionBps: p.commissionBps,
        tokens: 0n,
        shares: 0n,
        moniker: p.moniker,
        createdHeight: BigInt(ctx.block.height),
      };
      saveValidator(ctx, v);
      ctx.setValue(consensusKeyIndex(consensusKey), addressBytes(p.operator));
      for (const h of hooks) await h.afterValidatorCreated?.(ctx, v);
      ctx.emit('staking.create_validator', {
        validator: p.operator,
        consensusKey: v.consensusKey,
        commissionBps: p.commissionBps,
        moniker: p.moniker,
      });
      await delegate(ctx, p.operator, p.operator, p.selfBond);
      return (await validator(ctx, p.operator))!;
    },

    delegate,

    async undelegate(ctx, validatorAddress, delegator, amount) {
      if (amount <= 0n) throw new ChainError('INVALID_MESSAGE', 'unbond amount must be positive');
      const v = await requireValidator(ctx, validatorAddress);
      const key = delegationKey(validatorAddress, delegator);
      const shares = await readInteger(ctx, key);
      const bonded = v.shares === 0n ? 0n : (shares * v.tokens) / v.shares;
      if (amount > bonded) {
        throw new ChainError(
          'INSUFFICIENT_STAKE',
          `cannot unbond ${formatOpen(amount)} OPEN: ${delegator} has ${formatOpen(bonded)} OPEN bonded to ${validatorAddress}`,
        );
      }
      // round the shares removed up, so the OPEN left for the other delegators never shrinks
      const removed = amount === bonded ? shares : (amount * v.shares + v.tokens - 1n) / v.tokens;
      await before(ctx, v, delegator, shares);
      v.tokens -= amount;
      v.shares -= removed;
      saveValidator(ctx, v);
      setShares(ctx, validatorAddress, delegator, shares - removed);
      await addInteger(ctx, TOTAL_BONDED_KEY, -amount);
      await after(ctx, v, delegator, shares - removed);
      const period = await ctx.keepers.params.get(ctx, 'staking', 'unbondingPeriod');
      const id = await nextSequence(ctx, UNBONDING_SEQUENCE_KEY);
      const entry: UnbondingEntry = {
        id,
        delegator,
        validator: validatorAddress,
        amount,
        completionTime: ctx.block.time + period,
      };
      unbondingQueue.push(ctx, entry.completionTime, id, [
        addressBytes(delegator),
        addressBytes(validatorAddress),
        amount,
      ]);
      ctx.setValue(delegatorUnbondingKey(delegator, id), entry.completionTime);
      await addInteger(ctx, TOTAL_UNBONDING_KEY, amount);
      ctx.emit('staking.unbond', {
        delegator,
        validator: validatorAddress,
        amount,
        shares: removed,
        id,
        completionTime: entry.completionTime,
      });
      return entry;
    },

    async releaseMatured(ctx) {
      const limit = Number(await ctx.keepers.params.get(ctx, 'staking', 'maxReleasesPerBlock'));
      for (const e of await unbondingQueue.due(ctx, ctx.block.time, limit)) {
        const entry = decodeUnbonding(e.id, e.due, e.value);
        await ctx.keepers.bank.transfer(ctx, STAKING, entry.delegator, entry.amount);
        unbondingQueue.remove(ctx, e.due, e.id);
        ctx.delete(delegatorUnbondingKey(entry.delegator, e.id));
        await addInteger(ctx, TOTAL_UNBONDING_KEY, -entry.amount);
        ctx.emit('staking.unbonding_complete', {
          delegator: entry.delegator,
          validator: entry.validator,
          amount: entry.amount,
          id: entry.id,
        });
      }
    },

    async slash(ctx, validatorAddress, fractionBps, reason) {
      if (fractionBps < 0n || fractionBps > 10_000n) {
        throw new ChainError('INVALID_MESSAGE', `slash fraction ${fractionBps} bps is outside [0, 10000]`);
      }
      const v = await requireValidator(ctx, validatorAddress);
      const amount = (v.tokens * fractionBps) / 10_000n;
      if (amount === 0n) return { amount, slashId: 0n };
      v.tokens -= amount;
      saveValidator(ctx, v);
      await addInteger(ctx, TOTAL_BONDED_KEY, -amount);
      ctx.emit('staking.slash', { validator: validatorAddress, fractionBps, amount, reason });
      const slashId = await ctx.keepers.slashing.hold(ctx, {
        from: STAKING,
        amount,
        module: 'staking',
        subject: validatorAddress,
        reason,
      });
      return { amount, slashId };
    },
  };
}

/** Returns a reversed slash to the validator's tokens (its delegators' shares regain their worth). */
export async function returnSlashToValidator(ctx: Ctx, operator: Address, amount: bigint): Promise<void> {
  const value = await ctx.getValue(validatorKey(operator));
  if (value === undefined) throw new ChainError('NOT_FOUND', `${operator} is not a validator`);
  const v = decodeValidator(operator, value);
  v.tokens += amount;
  ctx.setValue(validatorKey(operator), encodeValidator(v));
  await addInteger(ctx, TOTAL_BONDED_KEY, amount);
  ctx.emit('staking.slash_returned', { validator: operator, amount });
}
