import { BaseError, formatOpen, type Hex, parseOpen } from '@openledger/core';
import { type Command, table } from '../command.js';
import {
  client,
  FROM_OPTIONS,
  HELP_OPTION,
  JSON_OPTION,
  RPC_OPTION,
  resolveAddress,
  resolveSigner,
} from '../context.js';
import { report, sendOptions, TX_OPTIONS } from './submit.js';

export const balanceCommand: Command = {
  name: 'balance',
  summary: 'Show the OPEN balance of an address, keystore key or demo account.',
  usage: 'openledger balance <address|key> [--height N] [--json]',
  options: [
    RPC_OPTION,
    JSON_OPTION,
    { name: 'height', value: 'N', description: 'read at a past block height' },
    HELP_OPTION,
  ],
  async run(args, out) {
    const who = args.positionals[0];
    if (!who) throw new BaseError('MISSING_ARGUMENT', 'which account? openledger balance <address|key>');
    const address = await resolveAddress(who);
    const height = args.options.get('height');
    const r = await client(args).getBalance(address, typeof height === 'string' ? Number(height) : undefined);
    out.result(
      { address, balance: r.balance, formatted: r.formatted },
      (v) => `${v.formatted} OPEN  (${v.address})`,
    );
  },
};

export const sendCommand: Command = {
  name: 'send',
  summary: 'Send OPEN to an account and wait for the receipt.',
  usage: 'openledger send <to> <amount> --from <key> [--gas-price P] [--no-wait]',
  details: 'Example: openledger send bob 12.5 --from alice',
  options: [RPC_OPTION, JSON_OPTION, ...FROM_OPTIONS, ...TX_OPTIONS, HELP_OPTION],
  async run(args, out) {
    const [toArg, amountArg] = args.positionals;
    if (!toArg || !amountArg)
      throw new BaseError('MISSING_ARGUMENT', 'usage: openledger send <to> <amount> --from <key>');
    const to = await resolveAddress(toArg);
    const amount = parseOpen(amountArg);
    const signer = await resolveSigner(args);
    const sent = await client(args).transfer(signer, to, amount, sendOptions(args));
    return report(args, out, sent, () => `sent ${formatOpen(amount)} OPEN from ${signer.address} to ${to}`);
  },
};

export const txCommand: Command = {
  name: 'tx',
  summary: 'Show a transaction and its receipt.',
  usage: 'openledger tx <hash> [--json]',
  options: [RPC_OPTION, JSON_OPTION, HELP_OPTION],
  async run(args, out) {
    const hash = args.positionals[0] as Hex | undefined;
    if (!hash || !/^0x[0-9a-fA-F]{64}$/.test(hash))
      throw new BaseError('MISSING_ARGUMENT', 'usage: openledger tx <0x hash>');
    const c = client(args);
    const tx = await c.getTransaction(hash);
    if (!tx) throw new BaseError('NOT_FOUND', `no transaction ${hash}`);
    const receipt = await c.getReceipt(hash);
    out.result({ transaction: tx, receipt }, (v) => {
      const t = v.transaction as {
        kind: string;
        message: Record<string, unknown>;
        height: number | null;
        pending: boolean;
      };
      const lines = [`${t.kind}  ${hash}`, t.pending ? 'pending' : `block ${t.height}`];
      for (const [k, val] of Object.entries(t.message))
        lines.push(`  ${k}: ${typeof val === 'object' ? JSON.stringify(val) : String(val)}`);
      if (v.receipt) {
        lines.push(
          `status: ${v.receipt.status}${v.receipt.code ? ` (${v.receipt.code}: ${v.receipt.error})` : ''}`,
        );
        lines.push(
          `gas used: ${v.receipt.gasUsed}, fee ${formatOpen(v.receipt.gasUsed * v.receipt.gasPrice)} OPEN`,
        );
        for (const e of v.receipt.events)
          lines.push(`  event ${e.type} ${e.attributes.map(([k, x]) => `${k}=${x}`).join(' ')}`);
      }
      return lines.join('\n');
    });
  },
};

export const blockCommand: Command = {
  name: 'block',
  summary: 'Show a block by height, hash, or the latest.',
  usage: 'openledger block [height|hash|latest] [--json]',
  options: [RPC_OPTION, JSON_OPTION, HELP_OPTION],
  async run(args, out) {
    const ref = args.positionals[0] ?? 'latest';
    const parsed = /^\d+$/.test(ref) ? Number(ref) : (ref as Hex);
    const block = (await client(args).getBlock(parsed as number, true)) as Record<string, unknown> & {
      transactions: string[];
      receipts: Array<{ kind: string; from: string; status: string }>;
    };
    out.result(block, (b) =>
      [
        table([
          ['height', String(b.height)],
          ['hash', String(b.hash)],
          ['time', new Date(Number(b.time) * 1000).toISOString()],
          ['parent', String(b.parentHash)],
          ['state root', String(b.stateRoot)],
          ['proposer', String(b.proposer)],
          ['transactions', String(b.transactions.length)],
        ]),
        ...b.transactions.map(
          (h, i) => `  ${h}  ${b.receipts[i]?.kind} from ${b.receipts[i]?.from} ${b.receipts[i]?.status}`,
        ),
      ].join('\n'),
    );
  },
};
