import { BaseError } from '@openledger/core';

export type OptionSpec = {
  name: string;
  /** Takes a value (`--rpc URL`) or is a switch (`--json`). */
  value?: string;
  description: string;
  default?: string;
};

export type ParsedArgs = { positionals: string[]; options: Map<string, string | true> };

/** Parses `--name value`, `--name=value` and `--switch`; `--` ends options. Unknown options are errors. */
export function parseArgs(argv: string[], specs: OptionSpec[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = byName.get(name);
    if (!spec) {
      throw new BaseError('UNKNOWN_OPTION', `unknown option --${name}`, {
        metaMessages: ['See --help for the options.'],
      });
    }
    if (spec.value) {
      const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined)
        throw new BaseError('MISSING_VALUE', `--${name} needs a value (${spec.value})`);
      options.set(name, value);
    } else {
      if (eq !== -1) throw new BaseError('UNEXPECTED_VALUE', `--${name} takes no value`);
      options.set(name, true);
    }
  }
  for (const s of specs) if (s.default !== undefined && !options.has(s.name)) options.set(s.name, s.default);
  return { positionals, options };
}

export function helpText(usage: string, summary: string, specs: OptionSpec[], extra?: string): string {
  const lines = [`Usage: ${usage}`, '', summary];
  if (specs.length) {
    lines.push('', 'Options:');
    const width = Math.max(...specs.map((s) => s.name.length + (s.value ? s.value.length + 1 : 0))) + 4;
    for (const s of specs) {
      const left = `--${s.name}${s.value ? ` ${s.value}` : ''}`;
      lines.push(
        `  ${left.padEnd(width)}${s.description}${s.default !== undefined ? ` (default: ${s.default})` : ''}`,
      );
    }
  }
  if (extra) lines.push('', extra);
  return lines.join('\n');
}
