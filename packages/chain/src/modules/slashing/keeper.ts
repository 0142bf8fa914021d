import {
  type Address,
  addressFromBytes,
  formatOpen,
  moduleAddress,
  readBigint,
  readBytes,
  readList,
  readString,
  u64be,
  type Value,
} from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { keyspace } from '../../module.js';
import { addInteger, addressBytes, nextSequence, readInteger } from '../../state-values.js';
import { TimeQueue } from '../../time-queue.js';

/** The module account that holds slashed OPEN while its appeal window is open (DESIGN §4.2). */
export const SLASHED: Address = moduleAddress('slashed');

export const slashingKey = keyspace('slashing');
export const SLASH_PREFIX = slashingKey('s', '');
const SEQUENCE_KEY = slashingKey('seq');
/** Sum of the amounts of every slash still held. */
export const HELD_KEY = slashingKey('held');
const expiries = new TimeQueue(slashingKey('q', ''));

export function slashKey(id: bigint): Uint8Array {
  return slashingKey('s', u64be(id));
}

export type SlashStatus = 'held' | 'burned' | 'returned';

/** One slash: who was slashed, by which module, and what became of the OPEN. */
export type SlashRecord = {
  id: bigint;
  /** The module that slashed (its return handler gets the OPEN back on a reversal). */
  module: string;
  /** The slashed party: a validator, an operator, a contributor. */
  subject: Address;
  amount: bigint;
  reason: string;
  createdHeight: bigint;
  createdTime: bigint;
  /** Block time at which the appeal window closes and the OPEN burns. */
  expiresAt: bigint;
  status: SlashStatus;
  /** Height at which it burned or returned (0 while held). */
  settledHeight: bigint;
};

export type HoldParameters = {
  /** The account the slashed OPEN leaves (the slashing module's own account). */
  from: Address;
  amount: bigint;
  module: string;
  subject: Address;
  reason: string;
};

/** How a module takes back a reversed slash: the account the OPEN returns to, then a callback. */
export type SlashReturnHandler = {
  account: Address;
  onReturn(ctx: Ctx, subject: Address, amount: bigint): Promise<void>;
};

/** Slashed funds wait out `appealWindow`, then burn, unless a `ReverseSlash` returns them first. */
export interface SlashingKeeper {
  /** Moves `amount` from `from` into the slashed account and starts its appeal window; returns its id (0 if nothing). */
  hold(ctx: Ctx, slash: HoldParameters): Promise<bigint>;
  /** Registers how a module's reversed slashes return (app construction time). */
  registerReturn(module: string, handler: SlashReturnHandler): void;
  slash(ctx: Ctx, id: bigint): Promise<SlashRecord | undefined>;
  /** Returns a held slash (governance `ReverseSlash`). */
  reverse(ctx: Ctx, id: bigint): Promise<SlashRecord>;
  /** Burns up to `maxBurnsPerBlock` slashes whose window has closed (end of block). */
  burnExpired(ctx: Ctx): Promise<void>;
  held(ctx: Ctx): Promise<bigint>;
}

declare module '../../keepers.js' {
  interface Keepers {
    slashing: SlashingKeeper;
  }
}

function encodeSlash(s: SlashRecord): Value {
  return [
    s.module,
    addressBytes(s.subject),
    s.amount,
    s.reason,
    s.createdHeight,
    s.createdTime,
    s.expiresAt,
    s.status,
    s.settledHeight,
  ];
}

export function decodeSlash(id: bigint, value: Value): SlashRecord {
  const f = readList(value, 'slash', 9);
  return {
    id,
    module: readString(f[0]),
    subject: addressFromBytes(readBytes(f[1], 'slash.subject', 20)),
    amount: readBigint(f[2]),
    reason: readString(f[3]),
    createdHeight: readBigint(f[4]),
    createdTime: readBigint(f[5]),
    expiresAt: readBigint(f[6]),
    status: readString(f[7]) as SlashStatus,
    settledHeight: readBigint(f[8]),
  };
}

export function createSlashingKeeper(): SlashingKeeper {
  const handlers = new Map<string, SlashReturnHandler>();

  const slash = async (ctx: Ctx, id: bigint) => {
    const v = await ctx.getValue(slashKey(id));
    return v === undefined ? undefined : decodeSlash(id, v);
  };

  const settle = (ctx: Ctx, s: SlashRecord, status: SlashStatus) => {
    expiries.remove(ctx, s.expiresAt, s.id);
    const next = { ...s, status, settledHeight: BigInt(ctx.block.height) };
    ctx.setValue(slashKey(s.id), encodeSlash(next));
    return next;
  };

  return {
    registerReturn(module, handler) {
      if (handlers.has(module)) throw new Error(`slash return handler for ${module} registered twice`);
      handlers.set(module, handler);
    },
    slash,
    held: (ctx) => readInteger(ctx, HELD_KEY),

    async hold(ctx, p) {
      if (p.amount < 0n) throw new ChainError('INVALID_MESSAGE', `slash amount must not be negative`);
      if (p.amount === 0n) return 0n;
      const appealWindow = await ctx.keepers.params.get(ctx, 'slashing', 'appealWindow');
      await ctx.keepers.bank.transfer(ctx, p.from, SLASHED, p.amount);
      const id = await nextSequence(ctx, SEQUENCE_KEY);
      const record: SlashRecord = {
        id,
        module: p.module,
        subject: p.subject,
        amount: p.amount,
        reason: p.reason,
        createdHeight: BigInt(ctx.block.height),
        createdTime: ctx.block.time,
        expiresAt: ctx.block.time + appealWindow,
        status: 'held',
        settledHeight: 0n,
      };
      ctx.setValue(slashKey(id), encodeSlash(record));
      expiries.push(ctx, record.expiresAt, id, null);
      await addInteger(ctx, HELD_KEY, p.amount);
      ctx.emit('slashing.hold', {
        id,
        module: p.module,
        subject: p.subject,
        amount: p.amount,
        expiresAt: record.expiresAt,
        reason: p.reason,
      });
      return id;
    },

    async reverse(ctx, id) {
      const s = await slash(ctx, id);
      if (!s) throw new ChainError('NOT_FOUND', `no slash with id ${id}`);
      if (s.status !== 'held') {
        throw new ChainError(
          'SLASH_NOT_HELD',
          `slash ${id} was already ${s.status}; nothing is left to return`,
        );
      }
      if (ctx.block.time >= s.expiresAt) {
        throw new ChainError(
          'APPEAL_WINDOW_CLOSED',
          `the appeal window of slash ${id} closed at time ${s.expiresAt} (block time ${ctx.block.time}); its ${formatOpen(s.amount)} OPEN burn`,
        );
      }
      const handler = handlers.get(s.module);
      await ctx.keepers.bank.transfer(ctx, SLASHED, handler?.account ?? s.subject, s.amount);
      await addInteger(ctx, HELD_KEY, -s.amount);
      const next = settle(ctx, s, 'returned');
      if (handler) await handler.onReturn(ctx, s.subject, s.amount);
      ctx.emit('slashing.reverse', { id, module: s.module, subject: s.subject, amount: s.amount });
      return next;
    },

    async burnExpired(ctx) {
      const limit = Number(await ctx.keepers.params.get(ctx, 'slashing', 'maxBurnsPerBlock'));
      for (const entry of await expiries.due(ctx, ctx.block.time, limit)) {
        const s = await slash(ctx, entry.id);
        if (s?.status !== 'held') {
          expiries.remove(ctx, entry.due, entry.id);
          continue;
        }
        await ctx.keepers.bank.burn(ctx, SLASHED, s.amount, `slash ${s.id}: ${s.reason}`);
        await addInteger(ctx, HELD_KEY, -s.amount);
        settle(ctx, s, 'burned');
        ctx.emit('slashing.burn', { id: s.id, module: s.module, subject: s.subject, amount: s.amount });
      }
    },
  };
}
