import { BaseError, formatOpen, type Hex, parseOpen } from '@openledger/core';
import type { Receipt } from '@openledger/sdk';
import type { ParsedArgs } from '../args.js';
import type { Output } from '../command.js';
import { client, HELP_OPTION, JSON_OPTION, RPC_OPTION, resolveAddress, resolveSigner } from '../context.js';
import { eventAttribute, report, sendOptions, TX_COMMAND_OPTIONS } from './submit.js';

/** Shared pieces of the datanet, model, escrow, rewards, feedback and operator commands. */
export const QUERY_OPTIONS = [RPC_OPTION, JSON_OPTION, HELP_OPTION];
export const TX_OPTIONS = TX_COMMAND_OPTIONS;

/** Signs and sends a message, waits for its block and prints the outcome; returns the exit code. */
export async function submitTx(
  args: ParsedArgs,
  out: Output,
  kind: string,
  fields: Record<string, unknown>,
  describe: (r: Receipt) => string,
  defaultGasLimit?: bigint,
): Promise<number> {
  const signer = await resolveSigner(args);
  const options = sendOptions(args);
  if (options.gasLimit === undefined && defaultGasLimit !== undefined) options.gasLimit = defaultGasLimit;
  const sent = await client(args).send(signer, kind, fields, options);
  return report(args, out, sent, describe);
}

/** The value of `attribute` in the first event of `type` ('' when absent). */
export function eventValue(r: Receipt, type: string, attribute: string): string {
  return eventAttribute(r, type, attribute) ?? '';
}

/** All events of `type` as objects. */
export function eventsOf(r: Receipt, type: string): Record<string, string>[] {
  return r.events.filter((e) => e.type === type).map((e) => Object.fromEntries(e.attributes));
}

export function requireId(text: string | undefined, what: string): Hex {
  if (!text || !/^0x[0-9a-fA-F]{64}$/.test(text)) {
    throw new BaseError('MISSING_ARGUMENT', `${what} must be a 0x-prefixed 32-byte id`, {
      metaMessages: ['Ids are printed when things are created, and by the list commands.'],
    });
  }
  return text.toLowerCase() as Hex;
}

export function positional(args: ParsedArgs, index: number, usage: string): string {
  const v = args.positionals[index];
  if (v === undefined) throw new BaseError('MISSING_ARGUMENT', `usage: ${usage}`);
  return v;
}

export function option(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function requireOption(args: ParsedArgs, name: string, what: string): string {
  const v = option(args, name);
  if (v === undefined) throw new BaseError('MISSING_ARGUMENT', `give ${what} with --${name}`);
  return v;
}

/** A comma-separated list ('' → []). */
export function list(text: string | undefined): string[] {
  return text
    ? text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

export async function addresses(text: string | undefined): Promise<string[]> {
  return Promise.all(list(text).map(resolveAddress));
}

/** An amount of OPEN as a decimal string ('12.5'); base units with a trailing 'wei'. */
export function amount(text: string, what: string): bigint {
  try {
    return text.endsWith('wei') ? BigInt(text.slice(0, -3)) : parseOpen(text);
  } catch {
    throw new BaseError('INVALID_AMOUNT', `${what} "${text}" is not an amount of OPEN (e.g. 12.5)`);
  }
}

export function integer(text: string, what: string): bigint {
  if (!/^\d+$/.test(text)) throw new BaseError('INVALID_ARGUMENT', `${what} must be a non-negative integer`);
  return BigInt(text);
}

export const open = (v: unknown) => `${formatOpen(BigInt(String(v)))} OPEN`;
