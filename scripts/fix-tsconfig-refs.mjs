#!/usr/bin/env node
// Rewrites the root tsconfig.json references from the packages present (used after merges).
import { existsSync, readdirSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const refs = readdirSync(`${root}packages`)
  .filter((p) => existsSync(`${root}packages/${p}/tsconfig.json`))
  .sort()
  .map((p) => ({ path: `packages/${p}` }));
if (existsSync(`${root}test/tsconfig.json`)) refs.push({ path: 'test' });
writeFileSync(`${root}tsconfig.json`, `${JSON.stringify({ files: [], references: refs }, null, 2)}\n`);
