import { type Address, type Hex, moduleAddress, type Value } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { keyspace } from '../../module.js';
import { addr, b32, field, nextSeq, u64 } from '../shared/state.js';

export const ck = keyspace('challenges');

/** Holds a challenger's bond and an operator's slash for the length of one challenge transaction. */
export const CHALLENGES: Address = moduleAddress('challenges');

export const keys = {
  seq: ck('seq'),
  challenge: (id: bigint) => ck('c', u64(id)),
  byReceipt: (receipt: Hex, id: bigint) => ck('r', b32(receipt), u64(id)),
  byReceiptPrefix: (receipt: Hex) => ck('r', b32(receipt), ''),
  /** Set once a receipt is proven false: it is slashed once. */
  proven: (receipt: Hex) => ck('p', b32(receipt)),
};

export type ChallengeKind = 'a' | 'b' | 'c' | 'd' | 'e' | 'tokens';

/** A challenge as the chain keeps it (for explorers and `openledger attribution challenge`). */
export type ChallengeRecord = {
  id: bigint;
  receipt: Hex;
  challenger: Address;
  kind: string;
  proven: boolean;
  reason: string;
  /** The challenger's bond: returned when proven, burned otherwise. */
  bond: bigint;
  /** Taken from the operator's bond. */
  slashed: bigint;
  /** Re-credited to the receipt's contributors (and fallback) or refunded to the payer. */
  recredited: bigint;
  /** Paid to the challenger on top of its bond. */
  reward: bigint;
  /** Left in the slashed holding (burns after the appeal window). */
  held: bigint;
  height: bigint;
};

export function challengeToValue(c: ChallengeRecord): Value {
  return [
    b32(c.receipt),
    addr(c.challenger),
    c.kind,
    c.proven,
    c.reason,
    c.bond,
    c.slashed,
    c.recredited,
    c.reward,
    c.held,
    c.height,
  ];
}

export function challengeFromValue(id: bigint, v: Value): ChallengeRecord {
  const l = field.list(v, 'challenge', 11);
  return {
    id,
    receipt: field.hex32(l[0], 'receipt'),
    challenger: field.address(l[1], 'challenger'),
    kind: field.str(l[2], 'kind'),
    proven: field.bool(l[3], 'proven'),
    reason: field.str(l[4], 'reason'),
    bond: field.big(l[5], 'bond'),
    slashed: field.big(l[6], 'slashed'),
    recredited: field.big(l[7], 'recredited'),
    reward: field.big(l[8], 'reward'),
    held: field.big(l[9], 'held'),
    height: field.big(l[10], 'height'),
  };
}

export async function recordChallenge(ctx: Ctx, c: Omit<ChallengeRecord, 'id' | 'height'>): Promise<bigint> {
  const id = await nextSeq(ctx, keys.seq);
  const record: ChallengeRecord = { ...c, id, height: BigInt(ctx.block.height) };
  ctx.setValue(keys.challenge(id), challengeToValue(record));
  ctx.set(keys.byReceipt(c.receipt, id), new Uint8Array([1]));
  if (c.proven) ctx.setValue(keys.proven(c.receipt), id);
  return id;
}

export async function getChallenge(ctx: Ctx, id: bigint): Promise<ChallengeRecord | undefined> {
  const v = await ctx.getValue(keys.challenge(id));
  return v === undefined ? undefined : challengeFromValue(id, v);
}
