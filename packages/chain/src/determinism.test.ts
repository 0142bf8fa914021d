import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

/**
 * The determinism guard of STYLE §3: the state machine uses no clock, no randomness, no floats.
 * This scans the chain's own sources (tests excluded) for the constructs that break that.
 */
const BANNED: Array<[RegExp, string]> = [
  [/\bDate\b/, 'wall clock (Date)'],
  [/\bperformance\.now\b/, 'wall clock (performance.now)'],
  [/\bprocess\.hrtime\b/, 'wall clock (process.hrtime)'],
  [/\bMath\.random\b/, 'randomness (Math.random)'],
  [/\bcrypto\.getRandomValues\b|\brandomBytes\b|\brandomUUID\b/, 'randomness'],
  [/\bparseFloat\b|\btoFixed\b|\bMath\.(?:pow|sqrt|log|log2|exp|round)\b/, 'floating point'],
  [/(?<![\w.])\d+\.\d+(?![\w.])/, 'a float literal'],
  [/\bJSON\.stringify\b/, 'JSON.stringify key order'],
  [/\bfrom 'node:(?!assert|test)/, 'I/O (node: imports)'],
];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

test('the chain package has no clock, randomness, floats or I/O in its sources', () => {
  const srcDir = new URL('../src', import.meta.url).pathname;
  const files = sources(srcDir);
  assert.ok(files.length > 10, `found the sources in ${srcDir}`);
  const violations: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line
        .replace(/\/\*.*?\*\//g, '')
        .replace(/\/\/.*$/, '')
        .replace(/^\s*\*.*$/, '')
        .replace(/'[^']*'|`[^`]*`/g, "''");
      for (const [re, what] of BANNED)
        if (re.test(code))
          violations.push(`${file.slice(srcDir.length + 1)}:${i + 1}: ${what}: ${line.trim()}`);
    });
  }
  assert.deepEqual(violations, []);
});
