#!/usr/bin/env node
// Runs benchmarks (`npm run bench [-- chain ...]`, after `tsc -b`): every bench/*.mjs, or those whose
// names contain one of the arguments, one after the other. Each prints its figures as JSON on stdout
// (progress on stderr); this script exits non-zero if one fails. Extra flags after `--` are passed on.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const sep = args.indexOf('--');
const names = sep >= 0 ? args.slice(0, sep) : args.filter((a) => !a.startsWith('--'));
const passOn = sep >= 0 ? args.slice(sep + 1) : [];
const all = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.mjs'))
  .sort();
const selected = names.length ? all.filter((f) => names.some((n) => f.includes(n))) : all;
if (selected.length === 0) {
  console.error(`no benchmark matches ${names.join(', ')} (have: ${all.join(', ')})`);
  process.exit(1);
}
let failed = 0;
for (const file of selected) {
  process.stderr.write(`== bench/${file}\n`);
  const r = spawnSync(process.execPath, [join(root, 'bench', file), ...passOn], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`bench/${file} failed (exit ${r.status ?? r.signal})\n`);
  }
}
process.exit(failed ? 1 : 0);
