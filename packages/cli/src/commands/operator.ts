import type { Command } from '../command.js';
import { client, resolveAddress } from '../context.js';
import { amount, eventValue, open, positional, QUERY_OPTIONS, submitTx, TX_OPTIONS } from './tx-helpers.js';

const bond: Command = {
  name: 'bond',
  summary: 'Bond OPEN as an inference operator (settling needs minOperatorBond).',
  usage: 'openledger operator bond <amount> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const value = amount(positional(args, 0, 'openledger operator bond <amount> --from KEY'), 'amount');
    return submitTx(
      args,
      out,
      'BondOperator',
      { amount: value },
      (r) => `bonded; now ${open(eventValue(r, 'settlement.operator.bonded', 'bonded'))}`,
    );
  },
};

const unbond: Command = {
  name: 'unbond',
  summary: 'Start unbonding operator OPEN (no settling until it completes).',
  usage: 'openledger operator unbond <amount> --from KEY',
  options: TX_OPTIONS,
  async run(args, out) {
    const value = amount(positional(args, 0, 'openledger operator unbond <amount> --from KEY'), 'amount');
    return submitTx(
      args,
      out,
      'UnbondOperator',
      { amount: value },
      (r) => `unbonding; paid at block time ${eventValue(r, 'settlement.operator.unbonding', 'completeAt')}`,
    );
  },
};

const show: Command = {
  name: 'show',
  summary: 'Show an operator’s bond.',
  usage: 'openledger operator show <address|key> [--json]',
  options: QUERY_OPTIONS,
  async run(args, out) {
    const address = await resolveAddress(positional(args, 0, 'openledger operator show <address>'));
    const b = await client(args).query<{ bonded: string; unbonding: string; completeAt: string }>(
      'settlement.operator',
      { address },
    );
    out.result(
      b,
      (v) =>
        `${address}: bonded ${open(v.bonded)}, unbonding ${open(v.unbonding)}${v.unbonding !== '0' ? ` until ${v.completeAt}` : ''}`,
    );
  },
};

export const operatorCommand: Command = {
  name: 'operator',
  summary: 'Inference operator bonds: bond, unbond, show.',
  usage: 'openledger operator <command>',
  subcommands: [bond, unbond, show],
};
