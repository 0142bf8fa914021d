import { type Address, type Hex, moduleAddress, readList, type Value } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { keyspace } from '../../module.js';
import { bondLedger } from '../shared/bonds.js';
import { addr, b32, field, u64 } from '../shared/state.js';

export const fk = keyspace('feedback');
/** Holds the epoch feedback pools until they are paid out. */
export const FEEDBACK_POOL: Address = moduleAddress('feedback_pool');
/** Holds feedback-validator bonds. */
export const FEEDBACK_BONDS: Address = moduleAddress('feedback_bonds');

export const feedbackBonds = bondLedger({ key: fk, account: FEEDBACK_BONDS, event: 'feedback.validator' });

export const keys = {
  epoch: fk('epoch'),
  epochPool: (e: bigint) => fk('ep', u64(e)),
  epochPoolPrefix: fk('ep', ''),
  epochRater: (e: bigint, rater: Address) => fk('er', u64(e), addr(rater)),
  epochRaterPrefix: (e: bigint) => fk('er', u64(e), ''),
  output: (receipt: Hex) => fk('o', b32(receipt)),
  rating: (receipt: Hex, rater: Address) => fk('r', b32(receipt), addr(rater)),
  ratingPrefix: (receipt: Hex) => fk('r', b32(receipt), ''),
  accepted: (model: Hex, receipt: Hex, rater: Address) => fk('am', b32(model), b32(receipt), addr(rater)),
  acceptedPrefix: (model: Hex) => fk('am', b32(model), ''),
};

export type Epoch = { index: bigint; start: bigint };
export type EpochPool = { pool: bigint; acceptedBonds: bigint; paid: bigint; closed: boolean };
export type OutputRatings = { count: bigint; finalized: boolean; closesAt: bigint; model: Hex };
export type Rating = {
  rater: Address;
  score: bigint;
  correction: string;
  bond: bigint;
  /** Rated by the payer, operator or model owner of the inference: earns nothing. */
  unpaid: boolean;
  ownerAccepted: boolean;
  accepted: boolean;
  height: bigint;
};

export async function getEpoch(ctx: Ctx): Promise<Epoch | undefined> {
  const v = await ctx.getValue(keys.epoch);
  if (v === undefined) return undefined;
  const l = field.list(v, 'epoch', 2);
  return { index: field.big(l[0], 'index'), start: field.big(l[1], 'start') };
}

export function putEpoch(ctx: Ctx, e: Epoch): void {
  ctx.setValue(keys.epoch, [e.index, e.start]);
}

export function epochPoolFromValue(v: Value | undefined): EpochPool {
  if (v === undefined) return { pool: 0n, acceptedBonds: 0n, paid: 0n, closed: false };
  const l = field.list(v, 'epochPool', 4);
  return {
    pool: field.big(l[0], 'pool'),
    acceptedBonds: field.big(l[1], 'acceptedBonds'),
    paid: field.big(l[2], 'paid'),
    closed: field.bool(l[3], 'closed'),
  };
}

export function epochPoolToValue(p: EpochPool): Value {
  return [p.pool, p.acceptedBonds, p.paid, p.closed];
}

export function outputFromValue(v: Value): OutputRatings {
  const l = field.list(v, 'output', 4);
  return {
    count: field.big(l[0], 'count'),
    finalized: field.bool(l[1], 'finalized'),
    closesAt: field.big(l[2], 'closesAt'),
    model: field.hex32(l[3], 'model'),
  };
}

export function outputToValue(o: OutputRatings): Value {
  return [o.count, o.finalized, o.closesAt, b32(o.model)];
}

export function ratingToValue(r: Rating): Value {
  return [r.score, r.correction, r.bond, r.unpaid, r.ownerAccepted, r.accepted, r.height];
}

export function ratingFromValue(rater: Address, v: Value): Rating {
  const l = field.list(v, 'rating', 7);
  return {
    rater,
    score: field.big(l[0], 'score'),
    correction: field.str(l[1], 'correction'),
    bond: field.big(l[2], 'bond'),
    unpaid: field.bool(l[3], 'unpaid'),
    ownerAccepted: field.bool(l[4], 'ownerAccepted'),
    accepted: field.bool(l[5], 'accepted'),
    height: field.big(l[6], 'height'),
  };
}

export function bondsFromValue(v: Value | undefined): bigint[] {
  return v === undefined ? [] : readList(v, 'bonds').map((b, i) => field.big(b, `bonds[${i}]`));
}
