import {
  type Address,
  addressToBytes,
  type Hex,
  moduleAddress,
  readList,
  type Value,
} from '@openledger/core';
import type { Ctx } from '../../context.js';
import { keyspace } from '../../module.js';
import { bondLedger } from '../shared/bonds.js';
import { addr, b32, field, u64 } from '../shared/state.js';

export const sk = keyspace('settlement');

/** Payers' escrow balances. */
export const SETTLEMENT_ESCROW: Address = moduleAddress('settlement_escrow');
/** Claimable rewards of owners, operators, contributors and raters. */
export const SETTLEMENT_REWARDS: Address = moduleAddress('settlement_rewards');
/** Operator bonds. */
export const OPERATOR_BONDS: Address = moduleAddress('operator_bonds');

export const operatorBonds = bondLedger({ key: sk, account: OPERATOR_BONDS, event: 'settlement.operator' });

export const keys = {
  escrow: (payer: Address) => sk('e', addr(payer)),
  escrowPrefix: sk('e', ''),
  escrowOperator: (payer: Address, operator: Address) => sk('eo', addr(payer), addr(operator)),
  escrowOperatorPrefix: (payer: Address) => sk('eo', addr(payer), ''),
  sessionKey: (payer: Address, key: Address) => sk('sk', addr(payer), addr(key)),
  sessionKeyPrefix: (payer: Address) => sk('sk', addr(payer), ''),
  request: (payer: Address, requestId: Hex) => sk('rq', addr(payer), b32(requestId)),
  pruneQueue: (at: bigint, payer: Address, requestId: Hex) => sk('rqx', u64(at), addr(payer), b32(requestId)),
  pruneQueuePrefix: sk('rqx', ''),
  receipt: (id: Hex) => sk('r', b32(id)),
  claimable: (who: Address) => sk('cl', addr(who)),
  claimablePrefix: sk('cl', ''),
};

export type Escrow = { balance: bigint; withdrawAmount: bigint; withdrawAt: bigint };
export type SessionKey = { maxFeePerRequest: bigint; expiry: bigint; revokeAt: bigint };

export async function getEscrow(ctx: Ctx, payer: Address): Promise<Escrow> {
  const v = await ctx.getValue(keys.escrow(payer));
  if (v === undefined) return { balance: 0n, withdrawAmount: 0n, withdrawAt: 0n };
  const l = field.list(v, 'escrow', 3);
  return {
    balance: field.big(l[0], 'balance'),
    withdrawAmount: field.big(l[1], 'withdrawAmount'),
    withdrawAt: field.big(l[2], 'withdrawAt'),
  };
}

export function putEscrow(ctx: Ctx, payer: Address, e: Escrow): void {
  if (e.balance === 0n && e.withdrawAmount === 0n) ctx.delete(keys.escrow(payer));
  else ctx.setValue(keys.escrow(payer), [e.balance, e.withdrawAmount, e.withdrawAt]);
}

export async function getSessionKey(ctx: Ctx, payer: Address, key: Address): Promise<SessionKey | undefined> {
  const v = await ctx.getValue(keys.sessionKey(payer, key));
  if (v === undefined) return undefined;
  const l = field.list(v, 'sessionKey', 3);
  return {
    maxFeePerRequest: field.big(l[0], 'maxFeePerRequest'),
    expiry: field.big(l[1], 'expiry'),
    revokeAt: field.big(l[2], 'revokeAt'),
  };
}

/** A settled receipt as the chain keeps it (for ratings, challenges and explorers). */
export type ReceiptRecord = {
  id: Hex;
  payer: Address;
  requestId: Hex;
  operator: Address;
  modelVersion: Hex;
  model: Hex;
  owner: Address;
  expiry: bigint;
  inputTokens: bigint;
  outputTokens: bigint;
  promptHash: Hex;
  outputHash: Hex;
  evidenceHash: Hex;
  fee: bigint;
  contributorsPool: bigint;
  weights: { contributor: Address; ppm: bigint }[];
  fallbackPpm: bigint;
  /** The attribution parameters in force at the settling block: minSpanTokens, maxSpans, maxAttributed, gradientSharePpm. */
  params: { minSpanTokens: bigint; maxSpans: bigint; maxAttributed: bigint; gradientSharePpm: bigint };
  settledHeight: bigint;
  settledTime: bigint;
};

export function receiptToValue(r: ReceiptRecord): Value {
  return [
    addr(r.payer),
    b32(r.requestId),
    addr(r.operator),
    b32(r.modelVersion),
    b32(r.model),
    addr(r.owner),
    r.expiry,
    r.inputTokens,
    r.outputTokens,
    b32(r.promptHash),
    b32(r.outputHash),
    b32(r.evidenceHash),
    r.fee,
    r.contributorsPool,
    r.weights.map((w) => [addressToBytes(w.contributor), w.ppm]),
    r.fallbackPpm,
    [r.params.minSpanTokens, r.params.maxSpans, r.params.maxAttributed, r.params.gradientSharePpm],
    r.settledHeight,
    r.settledTime,
  ];
}

export function receiptFromValue(id: Hex, v: Value): ReceiptRecord {
  const l = field.list(v, 'receipt', 19);
  const p = field.list(l[16], 'params', 4);
  return {
    id,
    payer: field.address(l[0], 'payer'),
    requestId: field.hex32(l[1], 'requestId'),
    operator: field.address(l[2], 'operator'),
    modelVersion: field.hex32(l[3], 'modelVersion'),
    model: field.hex32(l[4], 'model'),
    owner: field.address(l[5], 'owner'),
    expiry: field.big(l[6], 'expiry'),
    inputTokens: field.big(l[7], 'inputTokens'),
    outputTokens: field.big(l[8], 'outputTokens'),
    promptHash: field.hex32(l[9], 'promptHash'),
    outputHash: field.hex32(l[10], 'outputHash'),
    evidenceHash: field.hex32(l[11], 'evidenceHash'),
    fee: field.big(l[12], 'fee'),
    contributorsPool: field.big(l[13], 'contributorsPool'),
    weights: readList(l[14], 'weights').map((w) => {
      const wl = field.list(w, 'weight', 2);
      return { contributor: field.address(wl[0], 'contributor'), ppm: field.big(wl[1], 'ppm') };
    }),
    fallbackPpm: field.big(l[15], 'fallbackPpm'),
    params: {
      minSpanTokens: field.big(p[0], 'minSpanTokens'),
      maxSpans: field.big(p[1], 'maxSpans'),
      maxAttributed: field.big(p[2], 'maxAttributed'),
      gradientSharePpm: field.big(p[3], 'gradientSharePpm'),
    },
    settledHeight: field.big(l[17], 'settledHeight'),
    settledTime: field.big(l[18], 'settledTime'),
  };
}
