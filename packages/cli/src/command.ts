import type { OptionSpec, ParsedArgs } from './args.js';

/** Prints results as text for people or as JSON with --json. */
export type Output = {
  json: boolean;
  /** Prints `value` as JSON with --json, else the text from `text(value)`. */
  result<T>(value: T, text: (value: T) => string): void;
  info(line: string): void;
};

export type Command = {
  name: string;
  summary: string;
  usage: string;
  options?: OptionSpec[];
  /** Extra help text (examples). */
  details?: string;
  subcommands?: Command[];
  /** Takes the rest of the command line as it is (a package's own CLI, e.g. `engine`). */
  raw?(argv: string[]): Promise<number>;
  run?(args: ParsedArgs, out: Output): Promise<number | undefined | void>;
};

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/** Where the CLI writes: the process's streams, or buffers in tests. */
export type Io = { stdout: (text: string) => void; stderr: (text: string) => void };

export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

export function makeOutput(json: boolean, io: Io = processIo): Output {
  return {
    json,
    result(value, text) {
      io.stdout(`${json ? toJson(value) : text(value)}\n`);
    },
    info(line) {
      if (!json) io.stderr(`${line}\n`);
    },
  };
}

/** A simple table: columns padded to their widest cell. */
export function table(rows: string[][]): string {
  if (!rows.length) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}
