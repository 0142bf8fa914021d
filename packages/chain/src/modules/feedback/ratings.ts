import { type Address, addressFromBytes, decode, type Hex } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { MessageDef } from '../../module.js';
import { checkText, minBig, param, sameAddress } from '../shared/state.js';
import {
  bondsFromValue,
  epochPoolFromValue,
  epochPoolToValue,
  feedbackBonds,
  getEpoch,
  keys,
  type OutputRatings,
  outputFromValue,
  outputToValue,
  type Rating,
  ratingFromValue,
  ratingToValue,
} from './state.js';

/** Raters needed before the median rule accepts anything (DESIGN §4.8). */
export const MIN_RATERS = 3;

async function ratingWindow(ctx: Ctx): Promise<bigint> {
  const window = await param(ctx, 'feedback', 'ratingWindow');
  const epoch = await param(ctx, 'feedback', 'feedbackEpoch');
  return minBig(window, epoch);
}

/**
 * The bond-weighted median (DESIGN §4.8): the lowest score whose cumulative bond is ≥ half the total.
 */
export function bondWeightedMedian(ratings: readonly { score: bigint; bond: bigint }[]): bigint {
  const sorted = [...ratings].sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : 0));
  const total = sorted.reduce((s, r) => s + r.bond, 0n);
  let cumulative = 0n;
  for (const r of sorted) {
    cumulative += r.bond;
    if (cumulative * 2n >= total) return r.score;
  }
  throw new ChainError('INTERNAL_ERROR', 'median of no ratings');
}

/** `RateOutput`: a bonded feedback validator rates a settled inference output (1–5, optional correction). */
export const rateOutput: MessageDef<{ receipt: Hex; score: bigint; correction: string }> = {
  kind: 'RateOutput',
  description:
    'Rate a settled inference output from 1 to 5, with an optional correction (bonded validators).',
  fields: [
    { name: 'receipt', type: 'bytes32' },
    { name: 'score', type: 'uint256' },
    { name: 'correction', type: 'string' },
  ],
  baseGas: 10_000n,
  async handle(ctx, msg) {
    if (msg.score < 1n || msg.score > 5n)
      throw new ChainError('INVALID_SCORE', `score must be 1 to 5, got ${msg.score}`);
    checkText('correction', msg.correction, 8_192);
    const receipt = await ctx.keepers.settlement.receipt(ctx, msg.receipt);
    if (!receipt) throw new ChainError('RECEIPT_NOT_FOUND', `no settled receipt ${msg.receipt}`);
    const closesAt = receipt.settledTime + (await ratingWindow(ctx));
    if (ctx.block.time >= closesAt) {
      throw new ChainError(
        'RATING_WINDOW_CLOSED',
        `ratings of ${msg.receipt} closed at block time ${closesAt}`,
      );
    }
    const bond = await feedbackBonds.get(ctx, msg.from);
    const minBond = await param(ctx, 'feedback', 'minFeedbackBond');
    if (bond.bonded < minBond) {
      throw new ChainError(
        'NOT_BONDED',
        `rating needs a feedback bond of ${minBond}; ${msg.from} has ${bond.bonded}`,
        {
          metaMessages: ['Bond with: openledger feedback bond <amount>.'],
        },
      );
    }
    const existing = await ctx.getValue(keys.output(msg.receipt));
    const output: OutputRatings = existing
      ? outputFromValue(existing)
      : { count: 0n, finalized: false, closesAt, model: receipt.model };
    if ((await ctx.get(keys.rating(msg.receipt, msg.from))) !== undefined) {
      throw new ChainError('ALREADY_RATED', `${msg.from} already rated ${msg.receipt}`);
    }
    const maxRaters = await param(ctx, 'feedback', 'maxRatersPerOutput');
    if (output.count >= maxRaters)
      throw new ChainError('TOO_MANY_RATERS', `${msg.receipt} already has ${maxRaters} ratings`);
    const unpaid = [receipt.payer, receipt.operator, receipt.owner].some((a) => sameAddress(a, msg.from));
    const rating: Rating = {
      rater: msg.from,
      score: msg.score,
      correction: msg.correction,
      bond: bond.bonded,
      unpaid,
      ownerAccepted: false,
      accepted: false,
      height: BigInt(ctx.block.height),
    };
    ctx.setValue(keys.rating(msg.receipt, msg.from), ratingToValue(rating));
    ctx.setValue(keys.output(msg.receipt), outputToValue({ ...output, count: output.count + 1n }));
    ctx.emit('feedback.rated', {
      receipt: msg.receipt,
      rater: msg.from,
      score: msg.score,
      bond: bond.bonded,
      unpaid,
    });
  },
};

/** `AcceptRating`: the model owner accepts a rating of its model's output before it is finalised. */
export const acceptRating: MessageDef<{ receipt: Hex; rater: Address }> = {
  kind: 'AcceptRating',
  description: 'Accept a rating of your model’s output (model owner), whatever the median says.',
  fields: [
    { name: 'receipt', type: 'bytes32' },
    { name: 'rater', type: 'address' },
  ],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    const receipt = await ctx.keepers.settlement.receipt(ctx, msg.receipt);
    if (!receipt) throw new ChainError('RECEIPT_NOT_FOUND', `no settled receipt ${msg.receipt}`);
    if (!sameAddress(receipt.owner, msg.from)) {
      throw new ChainError(
        'UNAUTHORIZED',
        `only the model owner ${receipt.owner} may accept ratings of this output`,
      );
    }
    const raw = await ctx.getValue(keys.rating(msg.receipt, msg.rater));
    if (raw === undefined) throw new ChainError('NOT_FOUND', `${msg.rater} did not rate ${msg.receipt}`);
    const output = outputFromValue((await ctx.getValue(keys.output(msg.receipt)))!);
    if (output.finalized)
      throw new ChainError('ALREADY_FINALIZED', `ratings of ${msg.receipt} are already final`);
    ctx.setValue(
      keys.rating(msg.receipt, msg.rater),
      ratingToValue({ ...ratingFromValue(msg.rater, raw), ownerAccepted: true }),
    );
    ctx.emit('feedback.ownerAccepted', { receipt: msg.receipt, rater: msg.rater });
  },
};

/**
 * `FinalizeRatings` (DESIGN §4.8): after the rating window, anyone finalises an output's ratings. A rating
 * is accepted when ≥ 3 bonded raters rated and it lies within ±1 of the bond-weighted median, or when
 * the model owner accepted it; accepted bonds (of raters who may be paid) join the current epoch.
 * PERF: O(ratings of the output) ≤ maxRatersPerOutput.
 */
export const finalizeRatings: MessageDef<{ receipt: Hex }> = {
  kind: 'FinalizeRatings',
  description: 'Finalise the ratings of an output after its rating window (anyone).',
  fields: [{ name: 'receipt', type: 'bytes32' }],
  baseGas: 10_000n,
  async handle(ctx, msg) {
    const raw = await ctx.getValue(keys.output(msg.receipt));
    if (raw === undefined) throw new ChainError('NOT_FOUND', `output ${msg.receipt} has no ratings`);
    const output = outputFromValue(raw);
    if (output.finalized)
      throw new ChainError('ALREADY_FINALIZED', `ratings of ${msg.receipt} are already final`);
    if (ctx.block.time < output.closesAt) {
      throw new ChainError(
        'RATING_WINDOW_OPEN',
        `ratings of ${msg.receipt} close at block time ${output.closesAt}`,
      );
    }
    const ratings: Rating[] = [];
    for await (const [k, v] of ctx.iterate(keys.ratingPrefix(msg.receipt))) {
      ratings.push(ratingFromValue(addressFromBytes(k.subarray(k.length - 20)), decode(v)));
    }
    const median = ratings.length >= MIN_RATERS ? bondWeightedMedian(ratings) : undefined;
    const epoch = await getEpoch(ctx);
    if (!epoch) throw new ChainError('INTERNAL_ERROR', 'feedback epoch not initialised');
    const pool = epochPoolFromValue(await ctx.getValue(keys.epochPool(epoch.index)));
    let acceptedCount = 0;
    for (const r of ratings) {
      const byMedian = median !== undefined && r.score + 1n >= median && r.score <= median + 1n;
      const accepted = byMedian || r.ownerAccepted;
      ctx.setValue(keys.rating(msg.receipt, r.rater), ratingToValue({ ...r, accepted }));
      if (!accepted) continue;
      acceptedCount++;
      ctx.setValue(keys.accepted(output.model, msg.receipt, r.rater), [
        r.score,
        r.correction,
        r.bond,
        BigInt(ctx.block.height),
      ]);
      if (r.unpaid) continue;
      pool.acceptedBonds += r.bond;
      const key = keys.epochRater(epoch.index, r.rater);
      ctx.setValue(key, [...bondsFromValue(await ctx.getValue(key)), r.bond]);
    }
    ctx.setValue(keys.epochPool(epoch.index), epochPoolToValue(pool));
    ctx.setValue(keys.output(msg.receipt), outputToValue({ ...output, finalized: true }));
    ctx.emit('feedback.finalized', {
      receipt: msg.receipt,
      ratings: ratings.length,
      accepted: acceptedCount,
      median: median ?? 0n,
      epoch: epoch.index,
    });
  },
};

/** `BondFeedback` / `UnbondFeedback`: feedback-validator bonds (DESIGN §4.2). */
export const bondFeedback: MessageDef<{ amount: bigint }> = {
  kind: 'BondFeedback',
  description: 'Bond OPEN as a feedback validator (the weight of your ratings).',
  fields: [{ name: 'amount', type: 'uint256' }],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    await feedbackBonds.bond(ctx, msg.from, msg.amount);
  },
};

export const unbondFeedback: MessageDef<{ amount: bigint }> = {
  kind: 'UnbondFeedback',
  description: 'Start unbonding feedback-validator OPEN (paid after challengeWindow + unbondMargin).',
  fields: [{ name: 'amount', type: 'uint256' }],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    const period =
      (await param(ctx, 'settlement', 'challengeWindow')) + (await param(ctx, 'settlement', 'unbondMargin'));
    await feedbackBonds.unbond(ctx, msg.from, msg.amount, period);
  },
};
