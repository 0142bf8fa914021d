import { BaseError } from '@openledger/core';
import { RpcRequestError } from '@openledger/sdk';
import { helpText, parseArgs } from './args.js';
import { type Command, type Io, makeOutput, processIo } from './command.js';
import { attributionCommand } from './commands/attribution.js';
import { balanceCommand, blockCommand, sendCommand, txCommand } from './commands/chain.js';
import { datanetCommand } from './commands/datanet.js';
import { engineCommand } from './commands/engine.js';
import { escrowCommand } from './commands/escrow.js';
import { feedbackCommand } from './commands/feedback.js';
import { govCommand } from './commands/gov.js';
import { keysCommand } from './commands/keys.js';
import { modelCommand } from './commands/model.js';
import { devnetCommand, nodeCommand } from './commands/node.js';
import { operatorCommand } from './commands/operator.js';
import { rewardsCommand } from './commands/rewards.js';
import { stakeCommand } from './commands/stake.js';

/** Every top-level command. New command groups add one line here. */
export const COMMANDS: Command[] = [
  devnetCommand,
  nodeCommand,
  keysCommand,
  balanceCommand,
  sendCommand,
  txCommand,
  blockCommand,
  engineCommand,
  stakeCommand,
  govCommand,
  datanetCommand,
  modelCommand,
  escrowCommand,
  rewardsCommand,
  feedbackCommand,
  operatorCommand,
  attributionCommand,
];

function rootHelp(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'openledger — the command line of OpenLedger, the chain that attributes, rewards and governs AI',
    '',
    'Usage: openledger <command> [options]   (every command takes --help; queries take --json)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
  ].join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure the user can fix, 2 usage). */
export async function run(
  argv: string[],
  io: Io = processIo,
  commands: Command[] = COMMANDS,
): Promise<number> {
  let list = commands;
  let command: Command | undefined;
  let rest = argv;
  let path = 'openledger';
  for (;;) {
    const name = rest[0];
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      io.stdout(`${command ? subHelp(command, path) : rootHelp(list)}\n`);
      return name ? 0 : command ? 2 : 0;
    }
    const found = list.find((c) => c.name === name);
    if (!found) {
      io.stderr(
        `unknown command "${path} ${name}"\n\n${command ? subHelp(command, path) : rootHelp(list)}\n`,
      );
      return 2;
    }
    command = found;
    path = `${path} ${name}`;
    rest = rest.slice(1);
    if (found.raw) return found.raw(rest);
    if (!found.subcommands) break;
    list = found.subcommands;
  }
  const specs = command.options ?? [];
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${helpText(command.usage, command.summary, specs, command.details)}\n`);
    return 0;
  }
  let jsonMode = false;
  try {
    const args = parseArgs(rest, specs);
    jsonMode = args.options.has('json');
    const code = await command.run!(args, makeOutput(jsonMode, io));
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof BaseError) {
      if (jsonMode) {
        io.stdout(
          `${JSON.stringify({ error: { code: e.code, message: e.shortMessage, hints: e.metaMessages ?? [] } }, null, 2)}\n`,
        );
      } else {
        io.stderr(`error: ${e.shortMessage}${e instanceof RpcRequestError ? ` [${e.code}]` : ''}\n`);
        for (const hint of e.metaMessages ?? []) io.stderr(`  ${hint}\n`);
      }
      return 1;
    }
    throw e;
  }
}

function subHelp(command: Command, path: string): string {
  const subs = command.subcommands ?? [];
  const width = Math.max(0, ...subs.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    '',
    'Commands:',
    ...subs.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run '${path} <command> --help' for details.`,
  ].join('\n');
}
