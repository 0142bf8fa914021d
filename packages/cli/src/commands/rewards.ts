import { BaseError, type Hex } from '@openledger/core';
import { type Command, table } from '../command.js';
import { client, resolveAddress, resolveSigner } from '../context.js';
import {
  eventValue,
  list,
  open,
  option,
  QUERY_OPTIONS,
  requireId,
  submitTx,
  TX_OPTIONS,
} from './tx-helpers.js';

type Claimable = {
  address: string;
  balance: string;
  datanetTotal: string;
  total: string;
  contributions: { contribution: Hex; datanet: Hex; claimable: string }[];
};

const show: Command = {
  name: 'show',
  summary: 'Show claimable rewards: inference shares, rater rewards and contributions’ Datanet credits.',
  usage: 'openledger rewards show [address|key] [--json]',
  options: [
    ...QUERY_OPTIONS,
    { name: 'from', value: 'KEY', description: 'your key (when no address is given)' },
  ],
  async run(args, out) {
    const who = args.positionals[0];
    const address = who
      ? await resolveAddress(who)
      : args.options.has('from')
        ? (await resolveSigner(args)).address
        : undefined;
    if (!address) throw new BaseError('MISSING_ARGUMENT', 'whose rewards? openledger rewards show <address>');
    const c = await client(args).query<Claimable>('settlement.claimable', { address });
    out.result(c, (v) =>
      [
        `claimable by ${v.address}: ${open(v.total)}`,
        `  inference and feedback rewards  ${open(v.balance)}`,
        `  Datanet credits                 ${open(v.datanetTotal)}`,
        table(v.contributions.map((x) => [`    ${x.contribution}`, open(x.claimable)])),
      ].join('\n'),
    );
  },
};

const claim: Command = {
  name: 'claim',
  summary: 'Claim every claimable reward (or only --contributions ID,…).',
  usage: 'openledger rewards claim [--contributions ID,…] --from KEY',
  options: [
    {
      name: 'contributions',
      value: 'ID,…',
      description: 'contributions to claim (default: every one with rewards)',
    },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const signer = await resolveSigner(args);
    let contributions = list(option(args, 'contributions')).map((id) => requireId(id, 'a contribution'));
    if (!args.options.has('contributions')) {
      const c = await client(args).query<Claimable>('settlement.claimable', { address: signer.address });
      contributions = c.contributions.slice(0, 64).map((x) => x.contribution);
    }
    return submitTx(
      args,
      out,
      'ClaimRewards',
      { contributions },
      (r) => `claimed ${open(eventValue(r, 'settlement.claimed', 'amount'))}`,
    );
  },
};

export const rewardsCommand: Command = {
  name: 'rewards',
  summary: 'Rewards: show and claim.',
  usage: 'openledger rewards <command>',
  subcommands: [show, claim],
};
