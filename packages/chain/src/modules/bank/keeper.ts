import { type Address, addressToBytes, formatOpen, moduleAddress } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { keyspace } from '../../module.js';

export const bankKey = keyspace('bank');
export const SUPPLY_KEY = bankKey('supply');
export const BALANCE_PREFIX = bankKey('b', '');

export function balanceKey(address: Address): Uint8Array {
  return bankKey('b', addressToBytes(address));
}

/** Module accounts hold OPEN as ordinary balances, so the supply invariant covers them. */
export const TREASURY = moduleAddress('treasury');
export const FEE_COLLECTOR = moduleAddress('fee_collector');

/** Balances, transfers and the total supply (DESIGN §4.1). Supply changes only by mint and burn. */
export interface BankKeeper {
  balance(ctx: Ctx, address: Address): Promise<bigint>;
  transfer(ctx: Ctx, from: Address, to: Address, amount: bigint): Promise<void>;
  /** Creates OPEN (genesis only; a named event). */
  mint(ctx: Ctx, to: Address, amount: bigint, reason: string): Promise<void>;
  /** Destroys OPEN (a named event). */
  burn(ctx: Ctx, from: Address, amount: bigint, reason: string): Promise<void>;
  supply(ctx: Ctx): Promise<bigint>;
}

async function readAmount(ctx: Ctx, key: Uint8Array): Promise<bigint> {
  const v = await ctx.getValue(key);
  return typeof v === 'bigint' ? v : 0n;
}

function writeAmount(ctx: Ctx, key: Uint8Array, amount: bigint): void {
  if (amount === 0n) ctx.delete(key);
  else ctx.setValue(key, amount);
}

function checkAmount(amount: bigint): void {
  if (amount < 0n) throw new ChainError('INVALID_MESSAGE', `amount must not be negative, got ${amount}`);
}

export function createBankKeeper(): BankKeeper {
  const debit = async (ctx: Ctx, from: Address, amount: bigint) => {
    const key = balanceKey(from);
    const balance = await readAmount(ctx, key);
    if (balance < amount) {
      throw new ChainError(
        'INSUFFICIENT_FUNDS',
        `insufficient funds: ${from} has ${formatOpen(balance)} OPEN, needs ${formatOpen(amount)} OPEN`,
      );
    }
    writeAmount(ctx, key, balance - amount);
  };
  const credit = async (ctx: Ctx, to: Address, amount: bigint) => {
    const key = balanceKey(to);
    writeAmount(ctx, key, (await readAmount(ctx, key)) + amount);
  };
  return {
    balance: (ctx, address) => readAmount(ctx, balanceKey(address)),
    async transfer(ctx, from, to, amount) {
      checkAmount(amount);
      if (amount === 0n) return;
      await debit(ctx, from, amount);
      await credit(ctx, to, amount);
    },
    async mint(ctx, to, amount, reason) {
      checkAmount(amount);
      await credit(ctx, to, amount);
      writeAmount(ctx, SUPPLY_KEY, (await readAmount(ctx, SUPPLY_KEY)) + amount);
      ctx.emit('bank.mint', { to, amount, reason });
    },
    async burn(ctx, from, amount, reason) {
      checkAmount(amount);
      if (amount === 0n) return;
      await debit(ctx, from, amount);
      writeAmount(ctx, SUPPLY_KEY, (await readAmount(ctx, SUPPLY_KEY)) - amount);
      ctx.emit('bank.burn', { from, amount, reason });
    },
    supply: (ctx) => readAmount(ctx, SUPPLY_KEY),
  };
}
