import { type Address, addressFromBytes, decode, toHex } from '@openledger/core';
import type { App } from '../../app.js';
import type { Ctx } from '../../context.js';
import type { Module } from '../../module.js';
import { argAddress, argBigint, argHex32, argLimit } from '../shared/args.js';
import { queryCtx } from '../shared/external.js';
import { field } from '../shared/state.js';
import { addToPool, closeEpochIfDue } from './epochs.js';
import { FEEDBACK_PARAMS } from './params.js';
import { acceptRating, bondFeedback, finalizeRatings, rateOutput, unbondFeedback } from './ratings.js';
import {
  epochPoolFromValue,
  FEEDBACK_BONDS,
  FEEDBACK_POOL,
  feedbackBonds,
  getEpoch,
  keys,
  outputFromValue,
  ratingFromValue,
} from './state.js';

export { feedbackDevnetParams } from './params.js';
export { bondWeightedMedian } from './ratings.js';
export { FEEDBACK_BONDS, FEEDBACK_POOL } from './state.js';

/** What settlement needs from feedback: the epoch pool. */
export interface FeedbackKeeper {
  addToPool(ctx: Ctx, from: Address, amount: bigint): Promise<void>;
}

declare module '../../keepers.js' {
  interface Keepers {
    feedback: FeedbackKeeper;
  }
}

/**
 * The feedback module (DESIGN §4.8): feedback-validator bonds, ratings of settled outputs, finalisation
 * by the bond-weighted median rule, per-epoch pools paid to accepted raters, and a query of accepted
 * ratings per model for training.
 */
export function feedbackModule(app: App): Module {
  app.setKeeper('feedback', { addToPool });
  return {
    name: 'feedback',
    params: FEEDBACK_PARAMS,
    messages: [bondFeedback, unbondFeedback, rateOutput, acceptRating, finalizeRatings],
    async initGenesis(ctx) {
      ctx.setValue(keys.epoch, [0n, ctx.block.time]);
    },
    async beginBlock(ctx) {
      await closeEpochIfDue(ctx);
    },
    async endBlock(ctx) {
      await feedbackBonds.completeMatured(ctx);
    },
    queries: {
      async bond(q, args) {
        const address = argAddress(args, 'address');
        return { address, ...(await feedbackBonds.get(queryCtx(app, q), address)) };
      },
      /** The ratings of one output (settled receipt) and whether they are final. */
      async ratings(q, args) {
        const ctx = queryCtx(app, q);
        const receipt = argHex32(args, 'receipt');
        const raw = await ctx.getValue(keys.output(receipt));
        const ratings = [];
        for await (const [k, v] of ctx.state.iterate(keys.ratingPrefix(receipt))) {
          ratings.push(ratingFromValue(addressFromBytes(k.subarray(k.length - 20)), decode(v)));
        }
        return { receipt, output: raw === undefined ? null : outputFromValue(raw), ratings };
      },
      /** Accepted ratings of a model's outputs: what ModelFactory weights training examples with. */
      async accepted(q, args) {
        const ctx = queryCtx(app, q);
        const model = argHex32(args, 'model');
        const out = [];
        for await (const [k, v] of ctx.state.iterate(keys.acceptedPrefix(model), {
          limit: argLimit(args, 500),
        })) {
          const l = field.list(decode(v), 'accepted', 4);
          out.push({
            receipt: toHex(k.subarray(k.length - 53, k.length - 21)),
            rater: addressFromBytes(k.subarray(k.length - 20)),
            score: field.big(l[0], 'score'),
            correction: field.str(l[1], 'correction'),
            bond: field.big(l[2], 'bond'),
            height: field.big(l[3], 'height'),
          });
        }
        return out;
      },
      /** The current epoch, or epoch `index`'s pool. */
      async epoch(q, args) {
        const ctx = queryCtx(app, q);
        const current = await getEpoch(ctx);
        const index = args.index === undefined ? (current?.index ?? 0n) : argBigint(args, 'index');
        return { current, index, ...epochPoolFromValue(await ctx.getValue(keys.epochPool(index))) };
      },
    },
    invariants: {
      async pools(ctx) {
        let open = 0n;
        for await (const [, v] of ctx.state.iterate(keys.epochPoolPrefix)) {
          const p = epochPoolFromValue(decode(v));
          if (!p.closed) open += p.pool;
        }
        const balance = await ctx.keepers.bank.balance(ctx, FEEDBACK_POOL);
        return open === balance
          ? undefined
          : `open feedback pools ${open} != ${FEEDBACK_POOL} balance ${balance}`;
      },
      async bonds(ctx) {
        const total = await feedbackBonds.total(ctx);
        const balance = await ctx.keepers.bank.balance(ctx, FEEDBACK_BONDS);
        return total === balance
          ? undefined
          : `feedback bonds ${total} != ${FEEDBACK_BONDS} balance ${balance}`;
      },
    },
  };
}
