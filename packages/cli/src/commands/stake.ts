import { BaseError, formatOpen, type Hex, parseOpen } from '@openledger/core';
import { bond, createValidator, getStake, getValidators, unbond, withdrawRewards } from '@openledger/sdk';
import { type Command, table } from '../command.js';
import { client, HELP_OPTION, JSON_OPTION, RPC_OPTION, resolveAddress, resolveSigner } from '../context.js';
import { eventAttribute, report, requirePositionals, sendOptions, TX_COMMAND_OPTIONS } from './submit.js';

const TX = TX_COMMAND_OPTIONS;
const positionals = requirePositionals;

const validatorsCommand: Command = {
  name: 'validators',
  summary: 'List the validators with their bonded OPEN and commission.',
  usage: 'openledger stake validators [--json]',
  options: [RPC_OPTION, JSON_OPTION, HELP_OPTION],
  async run(args, out) {
    const r = await getValidators(client(args));
    out.result(r, (v) =>
      [
        table([
          ['validator', 'bonded OPEN', 'commission', 'moniker'],
          ...v.validators.map((x) => [
            x.operator,
            formatOpen(x.tokens),
            `${Number(x.commissionBps) / 100}%`,
            x.moniker,
          ]),
        ]),
        `total bonded ${formatOpen(v.totalBonded)} OPEN`,
      ].join('\n'),
    );
  },
};

const showCommand: Command = {
  name: 'show',
  summary: "Show an account's delegations, pending rewards and unbonding entries.",
  usage: 'openledger stake show <address|key> [--json]',
  options: [RPC_OPTION, JSON_OPTION, HELP_OPTION],
  async run(args, out) {
    const [who] = positionals(args, 1, this.usage);
    const r = await getStake(client(args), await resolveAddress(who!));
    out.result(r, (v) =>
      [
        `delegations of ${v.address}:`,
        table([
          ['validator', 'bonded OPEN', 'pending reward OPEN'],
          ...v.delegations.map((d) => [d.validator, formatOpen(d.amount), formatOpen(d.reward)]),
        ]) || '  (none)',
        `pending rewards ${formatOpen(v.rewards)} OPEN${v.commission > 0n ? `, commission ${formatOpen(v.commission)} OPEN` : ''}`,
        ...(v.unbonding.length
          ? [
              'unbonding:',
              ...v.unbonding.map(
                (u) =>
                  `  ${formatOpen(u.amount)} OPEN from ${u.validator}, released at ${new Date(Number(u.completionTime) * 1000).toISOString()}`,
              ),
            ]
          : []),
      ].join('\n'),
    );
  },
};

const createValidatorCommand: Command = {
  name: 'create-validator',
  summary: 'Become a validator: register an ed25519 consensus key and a commission, and bond OPEN.',
  usage:
    'openledger stake create-validator --consensus-key HEX --commission BPS --self-bond OPEN [--moniker NAME] --from <key>',
  details:
    'Example: openledger stake create-validator --consensus-key 0x…(32 bytes) --commission 500 --self-bond 100 --from bob',
  options: [
    {
      name: 'consensus-key',
      value: 'HEX',
      description: 'ed25519 public key (32 bytes) the validator signs blocks with',
    },
    {
      name: 'commission',
      value: 'BPS',
      description: 'commission on rewards in basis points (500 = 5%)',
      default: '0',
    },
    { name: 'self-bond', value: 'OPEN', description: 'OPEN the validator bonds of its own' },
    { name: 'moniker', value: 'NAME', description: 'a display name (up to 64 characters)', default: '' },
    ...TX,
  ],
  async run(args, out) {
    const key = args.options.get('consensus-key');
    const selfBond = args.options.get('self-bond');
    if (typeof key !== 'string' || typeof selfBond !== 'string') {
      throw new BaseError('MISSING_ARGUMENT', 'create-validator needs --consensus-key and --self-bond');
    }
    const commission = String(args.options.get('commission'));
    if (!/^\d+$/.test(commission))
      throw new BaseError('INVALID_ARGUMENT', '--commission is an integer in bps');
    const signer = await resolveSigner(args);
    const sent = await createValidator(
      client(args),
      signer,
      {
        consensusKey: key as Hex,
        commissionBps: BigInt(commission),
        selfBond: parseOpen(selfBond),
        moniker: String(args.options.get('moniker')),
      },
      sendOptions(args),
    );
    return report(args, out, sent, () => `${signer.address} is a validator with ${selfBond} OPEN bonded`);
  },
};

const bondCommand: Command = {
  name: 'bond',
  summary: 'Bond (delegate) OPEN to a validator.',
  usage: 'openledger stake bond <validator> <amount> --from <key>',
  details: 'Example: openledger stake bond sequencer 100 --from alice',
  options: TX,
  async run(args, out) {
    const [v, amount] = positionals(args, 2, this.usage);
    const validator = await resolveAddress(v!);
    const sent = await bond(
      client(args),
      await resolveSigner(args),
      validator,
      parseOpen(amount!),
      sendOptions(args),
    );
    return report(args, out, sent, () => `bonded ${amount} OPEN to ${validator}`);
  },
};

const unbondCommand: Command = {
  name: 'unbond',
  summary: 'Start unbonding OPEN from a validator (released after the unbonding period).',
  usage: 'openledger stake unbond <validator> <amount> --from <key>',
  options: TX,
  async run(args, out) {
    const [v, amount] = positionals(args, 2, this.usage);
    const validator = await resolveAddress(v!);
    const sent = await unbond(
      client(args),
      await resolveSigner(args),
      validator,
      parseOpen(amount!),
      sendOptions(args),
    );
    return report(args, out, sent, (r) => {
      const at = eventAttribute(r, 'staking.unbond', 'completionTime');
      return `unbonding ${amount} OPEN from ${validator}, released at ${at ? new Date(Number(at) * 1000).toISOString() : '?'}`;
    });
  },
};

const withdrawCommand: Command = {
  name: 'withdraw',
  summary: "Withdraw a delegation's rewards (and the commission, for the validator's operator).",
  usage: 'openledger stake withdraw <validator> --from <key>',
  options: TX,
  async run(args, out) {
    const [v] = positionals(args, 1, this.usage);
    const validator = await resolveAddress(v!);
    const sent = await withdrawRewards(client(args), await resolveSigner(args), validator, sendOptions(args));
    return report(args, out, sent, (r) => {
      const reward = BigInt(eventAttribute(r, 'distribution.withdraw_rewards', 'reward') ?? '0');
      const commission = BigInt(eventAttribute(r, 'distribution.withdraw_rewards', 'commission') ?? '0');
      return `withdrew ${formatOpen(reward)} OPEN of rewards${commission > 0n ? ` and ${formatOpen(commission)} OPEN of commission` : ''}`;
    });
  },
};

export const stakeCommand: Command = {
  name: 'stake',
  summary: 'Validators, delegations, unbonding and rewards (DESIGN §4.2).',
  usage: 'openledger stake <command>',
  subcommands: [
    validatorsCommand,
    showCommand,
    bondCommand,
    unbondCommand,
    withdrawCommand,
    createValidatorCommand,
  ],
};
