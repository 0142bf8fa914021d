#!/usr/bin/env node
// Soak run of the crash and fuzz tests (`npm run test:soak`, after `tsc -b`): the same runners as
// `npm test` (test/dist/crash.js, test/dist/fuzz.js) with larger counts. Prints the counts as JSON
// and exits non-zero on the first failure.
//   node scripts/soak.mjs [--rounds 100] [--fuzz 100000] [--seed N]
import { runCrashRounds } from '../test/dist/crash.js';
import { runFuzz } from '../test/dist/fuzz.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const rounds = arg('rounds', 100);
const fuzzInputs = arg('fuzz', 100_000);
const seed = arg('seed', Date.now() % 2 ** 31);

const started = Date.now();
const log = (line) => process.stderr.write(`${line}\n`);
log(`soak: ${rounds} SIGKILL rounds, ${fuzzInputs} fuzz inputs, seed ${seed}`);
try {
  // the fuzz inputs split as in `npm test`: 40% decoder, 45% RPC in-process, 12% HTTP, 3% WebSocket
  const fuzz = await runFuzz({
    decoderRuns: Math.ceil(fuzzInputs * 0.4),
    rpcRuns: Math.ceil(fuzzInputs * 0.45),
    httpRuns: Math.ceil(fuzzInputs * 0.12),
    wsRuns: Math.ceil(fuzzInputs * 0.03),
    seed,
  });
  log(`fuzz done: ${fuzz.total} inputs`);
  const crash = await runCrashRounds({ rounds, seed, log });
  const result = { ok: true, seed, seconds: Math.round((Date.now() - started) / 1000), crash, fuzz };
  console.log(JSON.stringify(result, null, 2));
  if (crash.rounds < rounds || fuzz.total < fuzzInputs) process.exit(1);
} catch (e) {
  console.log(JSON.stringify({ ok: false, seed, error: String(e?.stack ?? e) }, null, 2));
  process.exit(1);
}
