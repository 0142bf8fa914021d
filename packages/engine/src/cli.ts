// `openledger engine …` subcommands.
import { join } from 'node:path';
import { trainBase } from './base-train.js';
import { EngineError } from './errors.js';
import type { JobEvent } from './job.js';
import { ProgressBar, fmtEta } from './progress.js';
import type { TokenizerLike } from './tokenizer-types.js';

const HELP = `usage: openledger engine <command> [options]

commands:
  train-base [--out models/base] [--corpus data/base/gcide.txt] [--steps N]
        train the shipped base model (resumes from <out>/checkpoint)
  finetune --rows <file|folder> --out <dir> [--base models/base] [--steps N] [--rank 8]
        LoRA fine-tune on Datanet rows (retrieval format), write a PEFT adapter
  generate [--adapter <dir>] [--base models/base] [--max-tokens N] [--temperature T]
           [--top-k K] [--top-p P] [--seed S] "<prompt>"
        stream a completion to stdout
  eval [--base models/base] [--adapter <dir>] [--rows <file|folder>]
        held-out loss and perplexity
`;

export type Args = { _: string[]; flags: Map<string, string | true> };

export function parseArgs(argv: string[]): Args {
  const _: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          flags.set(a.slice(2), next);
          i++;
        } else flags.set(a.slice(2), true);
      }
    } else _.push(a);
  }
  return { _, flags };
}

function str(a: Args, k: string, dflt: string): string {
  const v = a.flags.get(k);
  return typeof v === 'string' ? v : dflt;
}

function num(a: Args, k: string): number | undefined {
  const v = a.flags.get(k);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) throw new EngineError('BAD_ARGS', `--${k} needs a number`);
  return n;
}

async function defaultTokenizer(): Promise<TokenizerLike> {
  const t = await import('@openledger/tokenizer');
  return t.loadDefaultTokenizer();
}

function jobBar(label: string): (e: JobEvent) => void {
  const bar = new ProgressBar(label);
  return (e) => {
    if (e.type === 'progress') {
      const ev = e.evalLoss !== undefined ? ` eval ${e.evalLoss.toFixed(3)} (ppl ${e.evalPpl?.toFixed(1)})` : '';
      bar.update(e.step, e.steps, `loss ${e.loss.toFixed(3)} ${e.tokensPerSec.toFixed(0)} tok/s ETA ${fmtEta(e.etaSec)}${ev}`, e.evalLoss !== undefined);
    } else if (e.type === 'restart') process.stderr.write(`\n[worker restarted from checkpoint at step ${e.step}]\n`);
    else if (e.type === 'done') {
      bar.end();
      process.stderr.write(`done at step ${e.step}${e.evalLoss !== undefined ? `, held-out loss ${e.evalLoss.toFixed(4)}` : ''}\n`);
    }
  };
}

export async function engineCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const cmd = a._[0];
  if (!cmd || a.flags.has('help') || cmd === 'help') {
    process.stdout.write(HELP);
    return cmd ? 0 : 1;
  }
  try {
    switch (cmd) {
      case 'train-base': {
        const steps = num(a, 'steps');
        await trainBase({
          corpusPath: str(a, 'corpus', join('data', 'base', 'gcide.txt')),
          outDir: str(a, 'out', join('models', 'base')),
          tokenizer: await defaultTokenizer(),
          ...(steps !== undefined ? { hyper: { steps } } : {}),
          onEvent: jobBar('train-base'),
        });
        return 0;
      }
      default:
        process.stderr.write(`unknown engine command ${cmd}\n${HELP}`);
        return 2;
    }
  } catch (e) {
    const err = e as { code?: string; message?: string };
    process.stderr.write(`error${err.code ? ` [${err.code}]` : ''}: ${err.message ?? String(e)}\n`);
    return 1;
  }
}
