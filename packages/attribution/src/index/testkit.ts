/** Test helpers (not exported from the package): a seeded generator and a toy tokenizer over "12 7 93" text. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IndexTokenizer } from './attributionIndex.js';

export function rng(seed: number): (m: number) => number {
  let s = seed >>> 0 || 1;
  return (m: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % m;
  };
}

export const numberTokenizer: IndexTokenizer = {
  hash: `0x${'77'.repeat(32)}`,
  encode: (text: string) => (text.trim() === '' ? [] : text.trim().split(/\s+/).map(Number)),
  decode: (ids: ArrayLike<number>) => Array.from(ids).join(' '),
};

export function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ol-attr-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as const;
export const dn = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as const;
