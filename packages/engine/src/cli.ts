// `openledger engine …` subcommands.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseDataset } from './base-data.js';
import {
  BASE_HYPER,
  BASE_PHASES,
  trainBase,
  trainBaseContinue,
  trainBaseCopy,
  trainBaseRetrieval,
} from './base-train.js';
import { encodeChat } from './chat-template.js';
import { EngineError } from './errors.js';
import { copyProbe, evaluate, ngramBaselines, spanEval } from './evaluate.js';
import { buildQaDataset, finetune, readRows } from './finetune.js';
import { hyperAt, type JobEvent, type TrainJob } from './job.js';
import { generate, loadAdapter, loadModel } from './model.js';
import { fmtEta, ProgressBar } from './progress.js';
import type { TokenizerLike } from './tokenizer-types.js';
import { batchIndices } from './train.js';

const HELP = `usage: openledger engine <command> [options]

commands:
  train-base [--out models/base] [--corpus data/base/gcide.txt] [--steps N]
        train the shipped base model, stage 1 (resumes from <out>/checkpoint)
  train-base --stage continue|copy|retrieval [--init <dir>] [--out models/base-<stage>] [--steps N]
        later stages, continued from --init: continue (stage 2 of the shipped model), copy, retrieval (tried, not shipped)
  finetune --rows <file|folder> --out <dir> [--base models/base] [--steps N] [--rank 8]
        LoRA fine-tune on Datanet rows (retrieval format), write a PEFT adapter
  generate [--adapter <dir>] [--base models/base] [--context-rows <file|folder>] [--raw]
           [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S] "<prompt>"
        stream a completion to stdout (chat template; --context-rows adds the BM25 top-3 rows,
        --raw continues the plain text instead)
  eval [--base models/base] [--adapter <dir>] [--rows <file|folder>] [--write <file.json>]
        without --rows: held-out loss/perplexity on the base corpus, next to unigram and bigram
        baselines; with --rows: retrieval-format held-out loss (base vs adapter) and the span check
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
  if (typeof v !== 'string' || !Number.isFinite(n))
    throw new EngineError('BAD_ARGS', `--${k} needs a number`);
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
      const ev =
        e.evalLoss !== undefined ? ` eval ${e.evalLoss.toFixed(3)} (ppl ${e.evalPpl?.toFixed(1)})` : '';
      bar.update(
        e.step,
        e.steps,
        `loss ${e.loss.toFixed(3)} ${e.tokensPerSec.toFixed(0)} tok/s ETA ${fmtEta(e.etaSec)}${ev}`,
        e.evalLoss !== undefined,
      );
    } else if (e.type === 'restart')
      process.stderr.write(`\n[worker restarted from checkpoint at step ${e.step}]\n`);
    else if (e.type === 'done') {
      bar.end();
      process.stderr.write(
        `done at step ${e.step}${e.evalLoss !== undefined ? `, held-out loss ${e.evalLoss.toFixed(4)}` : ''}\n`,
      );
    }
  };
}

export async function engineCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const cmd = a._[0];
  if (a.flags.has('help') || cmd === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (!cmd) {
    process.stderr.write(HELP);
    return 1;
  }
  try {
    switch (cmd) {
      case 'train-base': {
        const steps = num(a, 'steps');
        const stage = a.flags.get('stage');
        if (stage !== undefined) {
          // later stages continue a trained model: --init (default: the previous stage's output)
          const stages = {
            continue: { run: trainBaseContinue, init: join('models', 'base') },
            copy: { run: trainBaseCopy, init: join('models', 'base-continue') },
            retrieval: { run: trainBaseRetrieval, init: join('models', 'base') },
          } as const;
          if (typeof stage !== 'string' || !Object.hasOwn(stages, stage))
            throw new EngineError('BAD_ARGS', `--stage must be one of ${Object.keys(stages).join(', ')}`);
          const { run, init } = stages[stage as keyof typeof stages];
          await run({
            corpusPath: str(a, 'corpus', join('data', 'base', 'gcide.txt')),
            outDir: str(a, 'out', join('models', `base-${stage}`)),
            initFrom: str(a, 'init', init),
            tokenizer: await defaultTokenizer(),
            ...(steps !== undefined ? { hyper: { steps } } : {}),
            onEvent: jobBar(`train-base ${stage}`),
          });
          return 0;
        }
        await trainBase({
          corpusPath: str(a, 'corpus', join('data', 'base', 'gcide.txt')),
          outDir: str(a, 'out', join('models', 'base')),
          tokenizer: await defaultTokenizer(),
          ...(steps !== undefined ? { hyper: { steps } } : {}),
          onEvent: jobBar('train-base'),
        });
        return 0;
      }
      case 'finetune': {
        const rows = a.flags.get('rows');
        const out = a.flags.get('out');
        if (typeof rows !== 'string' || typeof out !== 'string')
          throw new EngineError('BAD_ARGS', 'finetune needs --rows <file|folder> and --out <dir>');
        const tok = await defaultTokenizer();
        const baseDir = str(a, 'base', join('models', 'base'));
        const base = loadModel(baseDir, { tokenizer: tok });
        const steps = num(a, 'steps');
        const rank = num(a, 'rank');
        const r = await finetune({
          rowsPath: rows,
          baseDir,
          outDir: out,
          tokenizer: tok,
          contextLength: base.config.contextLength,
          ...(steps !== undefined ? { hyper: { steps } } : {}),
          ...(rank !== undefined
            ? {
                lora: {
                  r: rank,
                  alpha: 2 * rank,
                  targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
                },
              }
            : {}),
          onEvent: jobBar('finetune'),
          meta: { baseModel: baseDir },
        });
        process.stderr.write(
          `adapter written to ${out} (${r.train} training / ${r.heldOut} held-out examples)\n`,
        );
        return 0;
      }
      case 'generate': {
        const prompt = a._.slice(1).join(' ');
        if (!prompt)
          throw new EngineError(
            'BAD_ARGS',
            'generate needs a prompt: openledger engine generate "What is a compiler?"',
          );
        const tok = await defaultTokenizer();
        let model = loadModel(str(a, 'base', join('models', 'base')), { tokenizer: tok });
        const adapterDir = a.flags.get('adapter');
        if (typeof adapterDir === 'string') model = model.withAdapter(loadAdapter(adapterDir, model));
        const context: string[] = [];
        const rowsPath = a.flags.get('context-rows');
        if (typeof rowsPath === 'string') {
          const { Bm25 } = await import('./retrieval.js');
          const rows = readRows(rowsPath);
          const bm = new Bm25(rows.map((r) => r.text));
          for (const i of bm.search(prompt, 3)) context.push((rows[i] as { text: string }).text);
        }
        const ids = a.flags.has('raw')
          ? tok.encode(prompt)
          : encodeChat(tok, { context, messages: [{ role: 'user', content: prompt }] });
        const t0 = performance.now();
        let n = 0;
        for await (const t of generate(model, ids, {
          tokenizer: tok,
          maxTokens: num(a, 'max-tokens') ?? 128,
          temperature: num(a, 'temperature') ?? 0,
          topK: num(a, 'top-k') ?? 0,
          topP: num(a, 'top-p') ?? 1,
          seed: num(a, 'seed') ?? 0,
        })) {
          process.stdout.write(t.text);
          n++;
        }
        process.stdout.write('\n');
        process.stderr.write(`${n} tokens, ${(n / ((performance.now() - t0) / 1000)).toFixed(1)} tokens/s\n`);
        return 0;
      }
      case 'eval': {
        const tok = await defaultTokenizer();
        const baseDir = str(a, 'base', join('models', 'base'));
        const base = loadModel(baseDir, { tokenizer: tok });
        const report: Record<string, unknown> = { baseModel: baseDir, tokenizerHash: tok.hash };
        const rowsPath = a.flags.get('rows');
        const adapterDir = a.flags.get('adapter');
        if (typeof rowsPath !== 'string') {
          const corpus = str(a, 'corpus', join('data', 'base', 'gcide.txt'));
          process.stderr.write('evaluating the base model on the held-out split of the base corpus…\n');
          const d = baseDataset(readFileSync(corpus, 'utf8'), tok, base.config.contextLength);
          report.heldOut = await evaluate(base, d.heldOut, { padId: tok.special.pad });
          const b = ngramBaselines([d.streams.train], d.heldOut, tok.vocabSize);
          report.unigram = b.unigram;
          report.bigram = b.bigram;
          report.copyProbe = await copyProbe(base, d.streams.heldOut);
          // The same baselines trained only on the windows the model saw (same data budget).
          const steps =
            typeof base.meta.pretrainSteps === 'number'
              ? base.meta.pretrainSteps
              : typeof base.meta.steps === 'number'
                ? base.meta.steps
                : 0;
          // (stage 1 only: a continued model has seen more than one epoch, so the full-split
          // baselines above are the fair comparison)
          if (steps > 0 && base.meta.stage === undefined) {
            const seen: Int32Array[] = [];
            const job = { hyper: BASE_HYPER, phases: BASE_PHASES } as TrainJob;
            for (let s = 0; s < steps; s++) {
              const h = hyperAt(job, s);
              for (let m = 0; m < h.accum; m++) {
                for (const i of batchIndices(d.train.length, h, s, m))
                  seen.push((d.train[i] as { ids: Int32Array }).ids);
              }
            }
            const bs = ngramBaselines(seen, d.heldOut, tok.vocabSize);
            report.sameTokensSeen = {
              windows: seen.length,
              tokens: seen.length * base.config.contextLength,
              unigram: bs.unigram,
              bigram: bs.bigram,
            };
          }
        } else {
          const rows = readRows(rowsPath);
          const d = buildQaDataset(tok, rows, 1, 7, base.config.contextLength + 1);
          process.stderr.write(`evaluating on ${d.heldOut.length} held-out retrieval examples…\n`);
          report.baseHeldOut = await evaluate(base, d.heldOut, { padId: tok.special.pad });
          if (typeof adapterDir === 'string') {
            const ad = loadAdapter(adapterDir, base);
            report.adapter = adapterDir;
            report.adapterHeldOut = await evaluate(base, d.heldOut, { adapter: ad, padId: tok.special.pad });
            const bar = new ProgressBar('span eval');
            bar.update(0, 40, '', true);
            const merged = base.withAdapter(ad);
            report.spanEval = await spanEval(merged, tok, rows);
            bar.update(20, 40, '', true);
            report.spanEvalTrainingRows = await spanEval(merged, tok, rows, 20, 8, 'training');
            bar.update(40, 40, '', true);
          }
        }
        const json = `${JSON.stringify(report, null, 2)}\n`;
        const outPath = a.flags.get('write');
        if (typeof outPath === 'string') writeFileSync(outPath, json);
        process.stdout.write(json);
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
