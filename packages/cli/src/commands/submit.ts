import { BaseError, formatOpen } from '@openledger/core';
import type { Receipt, Sent } from '@openledger/sdk';
import type { ParsedArgs } from '../args.js';
import type { Output } from '../command.js';
import { FROM_OPTIONS, HELP_OPTION, JSON_OPTION, RPC_OPTION } from '../context.js';

/** Options every transaction command takes besides --from. */
export const TX_OPTIONS = [
  { name: 'gas-price', value: 'BASE_UNITS', description: 'gas price in base units (default: the minimum)' },
  {
    name: 'gas-limit',
    value: 'GAS',
    description: "gas limit (default: estimated, or the command's own default; the unused part is refunded)",
  },
  { name: 'no-wait', description: 'return after submitting, without waiting for the block' },
];

/** Every option of a command that signs and sends a transaction. */
export const TX_COMMAND_OPTIONS = [RPC_OPTION, JSON_OPTION, ...FROM_OPTIONS, ...TX_OPTIONS, HELP_OPTION];

/** The positional arguments, refusing fewer than `count` with the usage line. */
export function requirePositionals(args: ParsedArgs, count: number, usage: string): string[] {
  if (args.positionals.length < count) throw new BaseError('MISSING_ARGUMENT', `usage: ${usage}`);
  return args.positionals;
}

export function sendOptions(args: ParsedArgs): { gasPrice?: bigint; gasLimit?: bigint } {
  const gasPrice = args.options.get('gas-price');
  const gasLimit = args.options.get('gas-limit');
  return {
    ...(typeof gasPrice === 'string' ? { gasPrice: BigInt(gasPrice) } : {}),
    ...(typeof gasLimit === 'string' ? { gasLimit: BigInt(gasLimit) } : {}),
  };
}

/**
 * Waits for a submitted transaction and prints its outcome (`done` describes a success); returns
 * the exit code: 0 when it succeeded, 1 when it was included but failed (it still paid its gas).
 */
export async function report(
  args: ParsedArgs,
  out: Output,
  sent: Sent,
  done: (receipt: Receipt) => string,
): Promise<number> {
  if (args.options.has('no-wait')) {
    out.result({ hash: sent.hash }, (v) => `submitted ${v.hash}`);
    return 0;
  }
  out.info(`submitted ${sent.hash}, waiting for a block…`);
  const r = await sent.wait();
  const fee = formatOpen(r.gasUsed * r.gasPrice);
  out.result(r, (v) =>
    v.status === 'ok'
      ? `${done(v)} in block ${v.height} (fee ${fee} OPEN)`
      : `FAILED in block ${v.height}: ${v.code}: ${v.error} (fee ${fee} OPEN)`,
  );
  return r.status === 'ok' ? 0 : 1;
}

/** The value of an event attribute in a receipt. */
export function eventAttribute(r: Receipt, type: string, name: string): string | undefined {
  return r.events.find((e) => e.type === type)?.attributes.find(([k]) => k === name)?.[1];
}
