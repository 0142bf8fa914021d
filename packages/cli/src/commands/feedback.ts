import type { Hex } from '@openledger/core';
import { type Command, table } from '../command.js';
import { client, resolveAddress } from '../context.js';
import {
  amount,
  eventValue,
  integer,
  open,
  option,
  positional,
  QUERY_OPTIONS,
  requireId,
  submitTx,
  TX_OPTIONS,
} from './tx-helpers.js';

const bond: Command = {
  name: 'bond',
  summary: 'Bond OPEN as a feedback validator (the weight of your ratings).',
  usage: 'openledger feedback bond <amount> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const value = amount(positional(args, 0, 'openledger feedback bond <amount> --from KEY'), 'amount');
    return submitTx(
      args,
      out,
      'BondFeedback',
      { amount: value },
      (r) => `bonded; now ${open(eventValue(r, 'feedback.validator.bonded', 'bonded'))}`,
    );
  },
};

const unbond: Command = {
  name: 'unbond',
  summary: 'Start unbonding feedback-validator OPEN.',
  usage: 'openledger feedback unbond <amount> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const value = amount(positional(args, 0, 'openledger feedback unbond <amount> --from KEY'), 'amount');
    return submitTx(
      args,
      out,
      'UnbondFeedback',
      { amount: value },
      (r) => `unbonding; paid at block time ${eventValue(r, 'feedback.validator.unbonding', 'completeAt')}`,
    );
  },
};

const rate: Command = {
  name: 'rate',
  summary: 'Rate a settled inference output from 1 to 5, optionally with a correction.',
  usage: 'openledger feedback rate <receipt> <1-5> [--correction TEXT] --from KEY',
  options: [
    {
      name: 'correction',
      value: 'TEXT',
      description: 'a better answer (reaches training only via a Datanet)',
    },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const receipt = requireId(args.positionals[0], 'the receipt');
    const score = integer(positional(args, 1, 'openledger feedback rate <receipt> <1-5>'), 'score');
    return submitTx(
      args,
      out,
      'RateOutput',
      { receipt, score, correction: option(args, 'correction') ?? '' },
      () => `rated ${receipt}: ${score}`,
    );
  },
};

const accept: Command = {
  name: 'accept',
  summary: 'Accept a rating of your model’s output (model owner).',
  usage: 'openledger feedback accept <receipt> <rater> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const receipt = requireId(args.positionals[0], 'the receipt');
    const rater = await resolveAddress(positional(args, 1, 'openledger feedback accept <receipt> <rater>'));
    return submitTx(args, out, 'AcceptRating', { receipt, rater }, () => `accepted the rating of ${rater}`);
  },
};

const finalize: Command = {
  name: 'finalize',
  summary: 'Finalise an output’s ratings after its rating window (anyone).',
  usage: 'openledger feedback finalize <receipt> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const receipt = requireId(args.positionals[0], 'the receipt');
    return submitTx(
      args,
      out,
      'FinalizeRatings',
      { receipt },
      (r) =>
        `finalised: ${eventValue(r, 'feedback.finalized', 'accepted')} of ${eventValue(r, 'feedback.finalized', 'ratings')} accepted (median ${eventValue(r, 'feedback.finalized', 'median')})`,
    );
  },
};

const show: Command = {
  name: 'show',
  summary: 'Show the ratings of an output.',
  usage: 'openledger feedback show <receipt> [--json]',
  options: QUERY_OPTIONS,
  async run(args, out) {
    const receipt = requireId(args.positionals[0], 'the receipt');
    const r = await client(args).query<{
      output: { finalized: boolean; closesAt: string } | null;
      ratings: {
        rater: string;
        score: string;
        bond: string;
        accepted: boolean;
        unpaid: boolean;
        correction: string;
      }[];
    }>('feedback.ratings', { receipt });
    out.result(r, (v) =>
      [
        v.output
          ? `${v.output.finalized ? 'final' : `open until block time ${v.output.closesAt}`}`
          : 'no ratings',
        table(
          v.ratings.map((x) => [
            `  ${x.rater}`,
            x.score,
            open(x.bond),
            x.accepted ? 'accepted' : '',
            x.unpaid ? 'unpaid' : '',
            x.correction,
          ]),
        ),
      ].join('\n'),
    );
  },
};

const accepted: Command = {
  name: 'accepted',
  summary: 'List the accepted ratings of a model (what training weights examples with).',
  usage: 'openledger feedback accepted <model> [--json]',
  options: QUERY_OPTIONS,
  async run(args, out) {
    const model = requireId(args.positionals[0], 'the model');
    const all = await client(args).query<{ receipt: Hex; rater: string; score: string; bond: string }[]>(
      'feedback.accepted',
      { model },
    );
    out.result(all, (v) =>
      table([
        ['receipt', 'rater', 'score', 'bond'],
        ...v.map((x) => [x.receipt, x.rater, x.score, open(x.bond)]),
      ]),
    );
  },
};

const epoch: Command = {
  name: 'epoch',
  summary: 'Show the current feedback epoch, or epoch N’s pool.',
  usage: 'openledger feedback epoch [N] [--json]',
  options: QUERY_OPTIONS,
  async run(args, out) {
    const index = args.positionals[0];
    const e = await client(args).query<{
      index: string;
      pool: string;
      acceptedBonds: string;
      paid: string;
      closed: boolean;
    }>('feedback.epoch', index === undefined ? {} : { index });
    out.result(
      e,
      (v) =>
        `epoch ${v.index}: pool ${open(v.pool)}, accepted bonds ${open(v.acceptedBonds)}${v.closed ? `, closed (paid ${open(v.paid)})` : ', open'}`,
    );
  },
};

export const feedbackCommand: Command = {
  name: 'feedback',
  summary: 'Feedback (RLHF): bond, rate outputs, finalise, and inspect accepted ratings.',
  usage: 'openledger feedback <command>',
  subcommands: [bond, unbond, rate, accept, finalize, show, accepted, epoch],
};
