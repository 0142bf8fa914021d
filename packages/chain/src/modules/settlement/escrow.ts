import type { Address } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { MessageDef } from '../../module.js';
import { checkAddressList, checkText, minBig, param } from '../shared/state.js';
import { getEscrow, getSessionKey, keys, operatorBonds, putEscrow, SETTLEMENT_ESCROW } from './state.js';

/** Withdrawals, operator removals and session-key revocations wait this long (DESIGN §4.6). */
export async function escrowDelay(ctx: Ctx): Promise<bigint> {
  return (
    (await param(ctx, 'settlement', 'voucherLifetime')) + (await param(ctx, 'settlement', 'settlementGrace'))
  );
}

async function addOperators(ctx: Ctx, payer: Address, operators: readonly Address[]): Promise<void> {
  for (const op of operators) {
    ctx.setValue(keys.escrowOperator(payer, op), 0n);
    ctx.emit('settlement.escrowOperatorAdded', { payer, operator: op });
  }
}

/** `FundEscrow`: pre-funds the sender's escrow and (optionally) names operators allowed to draw on it. */
export const fundEscrow: MessageDef<{ amount: bigint; operators: Address[] }> = {
  kind: 'FundEscrow',
  description: 'Add OPEN to your inference escrow and allow operators to draw on it.',
  fields: [
    { name: 'amount', type: 'uint256' },
    { name: 'operators', type: 'address[]' },
  ],
  baseGas: 10_000n,
  async handle(ctx, msg) {
    if (msg.amount === 0n && msg.operators.length === 0) {
      throw new ChainError('INVALID_MESSAGE', 'FundEscrow needs an amount or operators to allow');
    }
    checkAddressList('operators', msg.operators, 32);
    await ctx.keepers.bank.transfer(ctx, msg.from, SETTLEMENT_ESCROW, msg.amount);
    const e = await getEscrow(ctx, msg.from);
    putEscrow(ctx, msg.from, { ...e, balance: e.balance + msg.amount });
    await addOperators(ctx, msg.from, msg.operators);
    ctx.emit('settlement.escrowFunded', {
      payer: msg.from,
      amount: msg.amount,
      balance: e.balance + msg.amount,
    });
  },
};

/** `SetEscrowOperators`: allows operators now; removals take effect after voucherLifetime + settlementGrace. */
export const setEscrowOperators: MessageDef<{ add: Address[]; remove: Address[] }> = {
  kind: 'SetEscrowOperators',
  description: 'Allow operators to draw on your escrow, or remove them (removal is delayed).',
  fields: [
    { name: 'add', type: 'address[]' },
    { name: 'remove', type: 'address[]' },
  ],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    checkAddressList('add', msg.add, 32);
    checkAddressList('remove', msg.remove, 32);
    if (msg.add.length + msg.remove.length === 0)
      throw new ChainError('INVALID_MESSAGE', 'nothing to add or remove');
    await addOperators(ctx, msg.from, msg.add);
    const at = ctx.block.time + (await escrowDelay(ctx));
    for (const op of msg.remove) {
      if ((await ctx.get(keys.escrowOperator(msg.from, op))) === undefined) {
        throw new ChainError('NOT_FOUND', `operator ${op} is not allowed on your escrow`);
      }
      ctx.setValue(keys.escrowOperator(msg.from, op), at);
      ctx.emit('settlement.escrowOperatorRemoved', { payer: msg.from, operator: op, effectiveAt: at });
    }
  },
};

/** `AuthorizeSessionKey`: a key (e.g. an API key held by the serving side) that may sign vouchers for the escrow. */
export const authorizeSessionKey: MessageDef<{ key: Address; maxFeePerRequest: bigint; expiry: bigint }> = {
  kind: 'AuthorizeSessionKey',
  description: 'Let a session key sign vouchers on your escrow, with a per-request cap and an expiry.',
  fields: [
    { name: 'key', type: 'address' },
    { name: 'maxFeePerRequest', type: 'uint256' },
    { name: 'expiry', type: 'uint256' },
  ],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    if (msg.key.toLowerCase() === msg.from.toLowerCase()) {
      throw new ChainError(
        'INVALID_MESSAGE',
        'the payer signs its own vouchers; a session key is another address',
      );
    }
    if (msg.expiry <= ctx.block.time)
      throw new ChainError('INVALID_MESSAGE', `expiry ${msg.expiry} is in the past`);
    if (msg.maxFeePerRequest === 0n)
      throw new ChainError('INVALID_MESSAGE', 'maxFeePerRequest must be positive');
    const existing = await getSessionKey(ctx, msg.from, msg.key);
    if (
      existing &&
      !(existing.revokeAt > 0n && existing.revokeAt <= ctx.block.time) &&
      existing.expiry > ctx.block.time
    ) {
      throw new ChainError(
        'ALREADY_EXISTS',
        `session key ${msg.key} is active; revoke it before changing its limits`,
      );
    }
    ctx.setValue(keys.sessionKey(msg.from, msg.key), [msg.maxFeePerRequest, msg.expiry, 0n]);
    ctx.emit('settlement.sessionKeyAuthorized', {
      payer: msg.from,
      key: msg.key,
      maxFeePerRequest: msg.maxFeePerRequest,
      expiry: msg.expiry,
    });
  },
};

/** `RevokeSessionKey`: effective voucherLifetime + settlementGrace later, so signed vouchers still settle. */
export const revokeSessionKey: MessageDef<{ key: Address }> = {
  kind: 'RevokeSessionKey',
  description: 'Revoke a session key (effective after voucherLifetime + settlementGrace).',
  fields: [{ name: 'key', type: 'address' }],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    const k = await getSessionKey(ctx, msg.from, msg.key);
    if (!k) throw new ChainError('NOT_FOUND', `${msg.key} is not a session key of your escrow`);
    if (k.revokeAt > 0n) throw new ChainError('INVALID_STATE', `session key ${msg.key} is already revoked`);
    const at = ctx.block.time + (await escrowDelay(ctx));
    ctx.setValue(keys.sessionKey(msg.from, msg.key), [k.maxFeePerRequest, k.expiry, at]);
    ctx.emit('settlement.sessionKeyRevoked', { payer: msg.from, key: msg.key, effectiveAt: at });
  },
};

/** `RequestEscrowWithdrawal`: the amount becomes withdrawable after voucherLifetime + settlementGrace. */
export const requestEscrowWithdrawal: MessageDef<{ amount: bigint }> = {
  kind: 'RequestEscrowWithdrawal',
  description:
    'Ask to withdraw from your escrow; it can be completed after voucherLifetime + settlementGrace.',
  fields: [{ name: 'amount', type: 'uint256' }],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    const e = await getEscrow(ctx, msg.from);
    if (msg.amount === 0n) throw new ChainError('INVALID_MESSAGE', 'withdrawal amount must be positive');
    if (msg.amount > e.balance) {
      throw new ChainError('ESCROW_INSUFFICIENT', `escrow holds ${e.balance}, cannot withdraw ${msg.amount}`);
    }
    const at = ctx.block.time + (await escrowDelay(ctx));
    putEscrow(ctx, msg.from, { ...e, withdrawAmount: msg.amount, withdrawAt: at });
    ctx.emit('settlement.withdrawalRequested', { payer: msg.from, amount: msg.amount, availableAt: at });
  },
};

/** `WithdrawEscrow`: completes a requested withdrawal once its delay has passed (what is left of it). */
export const withdrawEscrow: MessageDef<Record<string, never>> = {
  kind: 'WithdrawEscrow',
  description: 'Complete a requested escrow withdrawal after its delay.',
  fields: [],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    const e = await getEscrow(ctx, msg.from);
    if (e.withdrawAmount === 0n) {
      throw new ChainError('NOTHING_TO_WITHDRAW', 'no escrow withdrawal was requested', {
        metaMessages: ['Request one first: openledger escrow withdraw <amount>.'],
      });
    }
    if (ctx.block.time < e.withdrawAt) {
      throw new ChainError(
        'WITHDRAWAL_NOT_READY',
        `the escrow withdrawal becomes available at block time ${e.withdrawAt} (now ${ctx.block.time})`,
      );
    }
    const amount = minBig(e.withdrawAmount, e.balance);
    await ctx.keepers.bank.transfer(ctx, SETTLEMENT_ESCROW, msg.from, amount);
    putEscrow(ctx, msg.from, { balance: e.balance - amount, withdrawAmount: 0n, withdrawAt: 0n });
    ctx.emit('settlement.withdrawn', { payer: msg.from, amount });
  },
};

/** `BondOperator` / `UnbondOperator`: operator bonds (DESIGN §4.2), unbonding over challengeWindow + unbondMargin. */
export const bondOperator: MessageDef<{ amount: bigint }> = {
  kind: 'BondOperator',
  description: 'Bond OPEN as an inference operator (needed to settle receipts).',
  fields: [{ name: 'amount', type: 'uint256' }],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    await operatorBonds.bond(ctx, msg.from, msg.amount);
  },
};

export const unbondOperator: MessageDef<{ amount: bigint }> = {
  kind: 'UnbondOperator',
  description:
    'Start unbonding operator OPEN (paid after challengeWindow + unbondMargin; no settling meanwhile).',
  fields: [{ name: 'amount', type: 'uint256' }],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    const period =
      (await param(ctx, 'settlement', 'challengeWindow')) + (await param(ctx, 'settlement', 'unbondMargin'));
    await operatorBonds.unbond(ctx, msg.from, msg.amount, period);
  },
};

/** `PenalizeOperator` (governance): slashes part of an operator's bond into the slashed holding. */
export const penalizeOperator: MessageDef<{ operator: Address; amount: bigint; reason: string }> = {
  kind: 'PenalizeOperator',
  description: 'Slash an operator bond (governance only; the slash waits out the appeal window).',
  authority: 'governance',
  treasury: true,
  fields: [
    { name: 'operator', type: 'address' },
    { name: 'amount', type: 'uint256' },
    { name: 'reason', type: 'string' },
  ],
  baseGas: 10_000n,
  async handle(ctx, msg) {
    checkText('reason', msg.reason, 512, true);
    const taken = await ctx.keepers.settlement.slashOperator(ctx, msg.operator, msg.amount, msg.reason);
    if (taken === 0n) throw new ChainError('NOTHING_TO_SLASH', `operator ${msg.operator} has no bond`);
  },
};
