#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js and test/dist/**/*.test.js)
// with Node's built-in test runner. Pass file filters as arguments: `npm test -- tokenizer`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = [];
for (const pkg of readdirSync(join(root, 'packages'))) roots.push(join(root, 'packages', pkg, 'dist'));
roots.push(join(root, 'test', 'dist'));

const files = [];
const walk = (dir) => {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) files.push(path);
  }
};
roots.forEach(walk);
const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error('no test files found (did `tsc -b` run?)');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', ...selected],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
