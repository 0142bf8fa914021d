import { BaseError } from '@openledger/core';
import { type Command, table } from '../command.js';
import { client, resolveAddress, resolveSigner } from '../context.js';
import {
  addresses,
  amount,
  eventValue,
  integer,
  open,
  option,
  positional,
  QUERY_OPTIONS,
  requireOption,
  submitTx,
  TX_OPTIONS,
} from './tx-helpers.js';

type EscrowView = {
  payer: string;
  balance: string;
  withdrawAmount: string;
  withdrawAt: string;
  operators: { operator: string; removeAt: string }[];
  sessionKeys: { key: string; maxFeePerRequest: string; expiry: string; revokeAt: string }[];
};

const fund: Command = {
  name: 'fund',
  summary: 'Add OPEN to your inference escrow and allow operators to draw on it.',
  usage: 'openledger escrow fund <amount> [--operators A,B] --from KEY',
  options: [
    { name: 'operators', value: 'A,B', description: 'operators allowed to settle against it' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const value = amount(positional(args, 0, 'openledger escrow fund <amount> --from KEY'), 'amount');
    const fields = { amount: value, operators: await addresses(option(args, 'operators')) };
    return submitTx(
      args,
      out,
      'FundEscrow',
      fields,
      (r) => `escrow balance ${open(eventValue(r, 'settlement.escrowFunded', 'balance'))}`,
    );
  },
};

const withdraw: Command = {
  name: 'withdraw',
  summary: 'Request a withdrawal (available after voucherLifetime + settlementGrace), or --complete it.',
  usage:
    'openledger escrow withdraw <amount> --from KEY   |   openledger escrow withdraw --complete --from KEY',
  options: [
    { name: 'complete', description: 'complete a requested withdrawal whose delay has passed' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    if (args.options.has('complete')) {
      return submitTx(
        args,
        out,
        'WithdrawEscrow',
        {},
        (r) => `withdrew ${open(eventValue(r, 'settlement.withdrawn', 'amount'))}`,
      );
    }
    const value = amount(positional(args, 0, 'openledger escrow withdraw <amount> --from KEY'), 'amount');
    return submitTx(
      args,
      out,
      'RequestEscrowWithdrawal',
      { amount: value },
      (r) =>
        `withdrawal of ${open(value)} available at block time ${eventValue(r, 'settlement.withdrawalRequested', 'availableAt')}; then run: openledger escrow withdraw --complete`,
    );
  },
};

const operators: Command = {
  name: 'operators',
  summary: 'Allow operators on your escrow, or remove them (removal is delayed).',
  usage: 'openledger escrow operators [--add A,B] [--remove C] --from KEY',
  options: [
    { name: 'add', value: 'A,B', description: 'operators to allow' },
    { name: 'remove', value: 'A,B', description: 'operators to remove' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const fields = {
      add: await addresses(option(args, 'add')),
      remove: await addresses(option(args, 'remove')),
    };
    return submitTx(args, out, 'SetEscrowOperators', fields, () => 'escrow operators updated');
  },
};

const sessionKey: Command = {
  name: 'session-key',
  summary: 'Authorise a session key (e.g. an API key) to sign vouchers, or --revoke it.',
  usage:
    'openledger escrow session-key <address> --cap OPEN --expires-in SECONDS --from KEY  |  … <address> --revoke --from KEY',
  options: [
    { name: 'cap', value: 'OPEN', description: 'largest fee per request' },
    { name: 'expires-in', value: 'SECONDS', description: 'lifetime of the key from now' },
    { name: 'revoke', description: 'revoke (effective after voucherLifetime + settlementGrace)' },
    ...TX_OPTIONS,
  ],
  async run(args, out) {
    const key = await resolveAddress(positional(args, 0, 'openledger escrow session-key <address> …'));
    if (args.options.has('revoke')) {
      return submitTx(
        args,
        out,
        'RevokeSessionKey',
        { key },
        (r) =>
          `session key revoked from block time ${eventValue(r, 'settlement.sessionKeyRevoked', 'effectiveAt')}`,
      );
    }
    const now = BigInt((await client(args).chainInfo()).time);
    const fields = {
      key,
      maxFeePerRequest: amount(requireOption(args, 'cap', 'the per-request cap'), 'cap'),
      expiry: now + integer(requireOption(args, 'expires-in', 'the lifetime'), 'expires-in'),
    };
    return submitTx(args, out, 'AuthorizeSessionKey', fields, () => `session key ${key} authorised`);
  },
};

const show: Command = {
  name: 'show',
  summary: 'Show an escrow: balance, pending withdrawal, operators, session keys.',
  usage: 'openledger escrow show [address|key] [--json]   (default: --from)',
  options: [
    ...QUERY_OPTIONS,
    { name: 'from', value: 'KEY', description: 'your key (when no address is given)' },
  ],
  async run(args, out) {
    const who = args.positionals[0];
    const payer = who
      ? await resolveAddress(who)
      : args.options.has('from')
        ? (await resolveSigner(args)).address
        : undefined;
    if (!payer) throw new BaseError('MISSING_ARGUMENT', 'whose escrow? openledger escrow show <address>');
    const e = await client(args).query<EscrowView>('settlement.escrow', { payer });
    out.result(e, (v) =>
      [
        `escrow of ${v.payer}: ${open(v.balance)}`,
        ...(v.withdrawAmount !== '0'
          ? [`withdrawal of ${open(v.withdrawAmount)} available at block time ${v.withdrawAt}`]
          : []),
        'operators:',
        table(
          v.operators.map((o) => [
            `  ${o.operator}`,
            o.removeAt === '0' ? 'allowed' : `removed from ${o.removeAt}`,
          ]),
        ),
        'session keys:',
        table(
          v.sessionKeys.map((k) => [
            `  ${k.key}`,
            `cap ${open(k.maxFeePerRequest)}`,
            `expires ${k.expiry}`,
            k.revokeAt === '0' ? '' : `revoked from ${k.revokeAt}`,
          ]),
        ),
      ].join('\n'),
    );
  },
};

export const escrowCommand: Command = {
  name: 'escrow',
  summary: 'Inference escrows: fund, withdraw, operators, session keys, show.',
  usage: 'openledger escrow <command>',
  subcommands: [fund, withdraw, operators, sessionKey, show],
};
