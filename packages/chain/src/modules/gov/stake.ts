import {
  type Address,
  addressFromBytes,
  decode,
  formatOpen,
  moduleAddress,
  readBigint,
  readBytes,
  readList,
  u64be,
  type Value,
} from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { keyspace } from '../../module.js';
import { addInteger, addressBytes, nextSequence, readInteger, writeInteger } from '../../state-values.js';
import { TimeQueue } from '../../time-queue.js';

/** The module account holding locked and unlocking gOPEN (not the governance sender account). */
export const GOV_LOCKED: Address = moduleAddress('gov_locked');

export const govKey = keyspace('gov');
export const LOCK_PREFIX = govKey('lock', '');
export const VOTES_PREFIX = govKey('votes', '');
export const TOTAL_LOCKED_KEY = govKey('locked');
export const TOTAL_UNLOCKING_KEY = govKey('unlocking');
const UNLOCK_SEQUENCE_KEY = govKey('useq');
export const unlockQueue = new TimeQueue(govKey('uq', ''));

const lockKey = (a: Address) => govKey('lock', addressBytes(a));
const delegateeKey = (a: Address) => govKey('dlg', addressBytes(a));
const votesKey = (a: Address) => govKey('votes', addressBytes(a));
const checkpointPrefix = (a: Address) => govKey('cp', addressBytes(a), '');
const totalCheckpointPrefix = govKey('cpt', '');
const unlockIndexKey = (a: Address, id: bigint) => govKey('uby', addressBytes(a), u64be(id));
export const unlockIndexPrefix = (a: Address) => govKey('uby', addressBytes(a), '');

export type UnlockEntry = { id: bigint; address: Address; amount: bigint; completionTime: bigint };

/**
 * Governance stake, gOPEN (DESIGN §4.3): OPEN locked into governance, non-transferable, released
 * `unbondingPeriod` after an unlock, delegable (all of an account's gOPEN votes through one
 * delegatee, itself by default), earning nothing. Voting power and the total are checkpointed by
 * height: the checkpoint of height h is the value at the end of block h.
 */
export interface GovStakeKeeper {
  locked(ctx: Ctx, account: Address): Promise<bigint>;
  delegatee(ctx: Ctx, account: Address): Promise<Address>;
  /** Current voting power: the gOPEN delegated to `account`. */
  votes(ctx: Ctx, account: Address): Promise<bigint>;
  /** Voting power at the end of block `height`. PERF: one reverse seek, O(log checkpoints). */
  votesAt(ctx: Ctx, account: Address, height: bigint): Promise<bigint>;
  totalLocked(ctx: Ctx): Promise<bigint>;
  totalLockedAt(ctx: Ctx, height: bigint): Promise<bigint>;
  lock(ctx: Ctx, account: Address, amount: bigint): Promise<void>;
  /** Unlocking leaves the checkpoints at this height; OPEN returns after `unbondingPeriod`. */
  unlock(ctx: Ctx, account: Address, amount: bigint): Promise<UnlockEntry>;
  delegate(ctx: Ctx, account: Address, to: Address): Promise<void>;
  releaseMatured(ctx: Ctx): Promise<void>;
}

export function decodeUnlock(id: bigint, completionTime: bigint, value: Value): UnlockEntry {
  const f = readList(value, 'unlock', 2);
  return {
    id,
    completionTime,
    address: addressFromBytes(readBytes(f[0], 'unlock.address', 20)),
    amount: readBigint(f[1]),
  };
}

async function latestAtOrBefore(ctx: Ctx, prefix: Uint8Array, height: bigint): Promise<bigint> {
  if (height < 0n) return 0n;
  const lte = new Uint8Array([...prefix, ...u64be(height)]);
  for await (const [, value] of ctx.iterate(prefix, { lte, reverse: true, limit: 1 })) {
    return readBigint(decode(value));
  }
  return 0n;
}

export function createGovStakeKeeper(): GovStakeKeeper {
  const height = (ctx: Ctx) => BigInt(ctx.block.height);

  const delegatee = async (ctx: Ctx, account: Address) => {
    const v = await ctx.getValue(delegateeKey(account));
    return v instanceof Uint8Array ? addressFromBytes(v) : account;
  };

  /** Adds `delta` to an account's votes and writes this height's checkpoint. */
  const moveVotes = async (ctx: Ctx, account: Address, delta: bigint) => {
    if (delta === 0n) return;
    const votes = await addInteger(ctx, votesKey(account), delta);
    ctx.setValue(new Uint8Array([...checkpointPrefix(account), ...u64be(height(ctx))]), votes);
  };
  const moveTotal = async (ctx: Ctx, delta: bigint) => {
    const total = await addInteger(ctx, TOTAL_LOCKED_KEY, delta);
    ctx.setValue(new Uint8Array([...totalCheckpointPrefix, ...u64be(height(ctx))]), total);
  };

  return {
    locked: (ctx, a) => readInteger(ctx, lockKey(a)),
    delegatee,
    votes: (ctx, a) => readInteger(ctx, votesKey(a)),
    votesAt: (ctx, a, h) => latestAtOrBefore(ctx, checkpointPrefix(a), h),
    totalLocked: (ctx) => readInteger(ctx, TOTAL_LOCKED_KEY),
    totalLockedAt: (ctx, h) => latestAtOrBefore(ctx, totalCheckpointPrefix, h),

    async lock(ctx, account, amount) {
      if (amount <= 0n) throw new ChainError('INVALID_MESSAGE', 'the amount to lock must be positive');
      await ctx.keepers.bank.transfer(ctx, account, GOV_LOCKED, amount);
      const locked = await addInteger(ctx, lockKey(account), amount);
      await moveVotes(ctx, await delegatee(ctx, account), amount);
      await moveTotal(ctx, amount);
      ctx.emit('gov.lock', { account, amount, locked });
    },

    async unlock(ctx, account, amount) {
      if (amount <= 0n) throw new ChainError('INVALID_MESSAGE', 'the amount to unlock must be positive');
      const locked = await readInteger(ctx, lockKey(account));
      if (amount > locked) {
        throw new ChainError(
          'INSUFFICIENT_STAKE',
          `cannot unlock ${formatOpen(amount)} gOPEN: ${account} has ${formatOpen(locked)} gOPEN locked`,
        );
      }
      writeInteger(ctx, lockKey(account), locked - amount);
      await moveVotes(ctx, await delegatee(ctx, account), -amount);
      await moveTotal(ctx, -amount);
      const period = await ctx.keepers.params.get(ctx, 'gov', 'unbondingPeriod');
      const id = await nextSequence(ctx, UNLOCK_SEQUENCE_KEY);
      const entry = { id, address: account, amount, completionTime: ctx.block.time + period };
      unlockQueue.push(ctx, entry.completionTime, id, [addressBytes(account), amount]);
      ctx.setValue(unlockIndexKey(account, id), entry.completionTime);
      await addInteger(ctx, TOTAL_UNLOCKING_KEY, amount);
      ctx.emit('gov.unlock', { account, amount, id, completionTime: entry.completionTime });
      return entry;
    },

    async delegate(ctx, account, to) {
      const from = await delegatee(ctx, account);
      if (from === to) {
        throw new ChainError('INVALID_MESSAGE', `${account} already delegates its gOPEN votes to ${to}`);
      }
      const locked = await readInteger(ctx, lockKey(account));
      await moveVotes(ctx, from, -locked);
      await moveVotes(ctx, to, locked);
      if (to === account) ctx.delete(delegateeKey(account));
      else ctx.setValue(delegateeKey(account), addressBytes(to));
      ctx.emit('gov.delegate', { account, from, to, votes: locked });
    },

    async releaseMatured(ctx) {
      const limit = Number(await ctx.keepers.params.get(ctx, 'gov', 'maxReleasesPerBlock'));
      for (const e of await unlockQueue.due(ctx, ctx.block.time, limit)) {
        const entry = decodeUnlock(e.id, e.due, e.value);
        await ctx.keepers.bank.transfer(ctx, GOV_LOCKED, entry.address, entry.amount);
        unlockQueue.remove(ctx, e.due, e.id);
        ctx.delete(unlockIndexKey(entry.address, e.id));
        await addInteger(ctx, TOTAL_UNLOCKING_KEY, -entry.amount);
        ctx.emit('gov.unlock_complete', { account: entry.address, amount: entry.amount, id: entry.id });
      }
    },
  };
}
