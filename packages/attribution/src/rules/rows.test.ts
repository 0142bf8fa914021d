import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bytesToHex, hexToBytes } from './bytes.js';
import {
  MAX_ROW_BYTES,
  rowHash,
  rowPath,
  rowsRoot,
  rowsRootFromPath,
  splitRowBytes,
  splitRows,
} from './rows.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/rows.json', import.meta.url), 'utf8'),
) as {
  cases: {
    name: string;
    fileHex: string;
    rows: string[];
    rowHashes: string[];
    rowCount: number;
    rowsRoot: string | null;
  }[];
};

test('rows.json: every case (rows, row hashes, rowsRoot)', () => {
  assert.equal(vectors.cases.length, 10);
  for (const c of vectors.cases) {
    const rows = splitRows(hexToBytes(c.fileHex));
    assert.deepEqual(rows, c.rows, c.name);
    assert.equal(rows.length, c.rowCount, c.name);
    assert.deepEqual(
      rows.map((r) => bytesToHex(rowHash(r)).slice(2)),
      c.rowHashes,
      c.name,
    );
    if (c.rowsRoot === null) {
      assert.throws(() => rowsRoot(rows), { code: 'NO_ROWS' });
    } else {
      assert.equal(bytesToHex(rowsRoot(rows)).slice(2), c.rowsRoot, c.name);
      rows.forEach((r, i) => {
        const p = rowPath(rows, i);
        assert.equal(
          bytesToHex(rowsRootFromPath(r, i, rows.length, p)!).slice(2),
          c.rowsRoot,
          `${c.name} row ${i}`,
        );
      });
    }
  }
});

test('splitRows: invalid UTF-8 is a clear error', () => {
  for (const bad of [[0xff], [0x61, 0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
    assert.throws(() => splitRows(Uint8Array.from(bad)), { code: 'INVALID_UTF8' });
  }
});

test('splitRows: file size limit', () => {
  assert.throws(() => splitRows(new Uint8Array(5_000_001).fill(0x61)), { code: 'FILE_TOO_LARGE' });
  assert.equal(splitRows(new Uint8Array(5_000_000).fill(0x61)).length, Math.ceil(5_000_000 / MAX_ROW_BYTES));
});

test('splitRows: only a leading BOM is dropped, rows never exceed 2,048 bytes', () => {
  const enc = new TextEncoder();
  assert.deepEqual(splitRows(enc.encode('\ufeffa\ufeff')), ['a\ufeff']);
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed;
  };
  const pieces = ['a', 'é', '語', '😀', ' ', '\t', '\n', '\r\n', '\r', 'e\u0301'];
  for (let trial = 0; trial < 30; trial++) {
    let s = '';
    const len = rnd() % 6000;
    for (let i = 0; i < len; i++) s += pieces[rnd() % pieces.length];
    const rows = splitRowBytes(enc.encode(s));
    for (const r of rows) {
      assert.ok(r.length > 0 && r.length <= MAX_ROW_BYTES);
      assert.ok(![0x20, 0x09, 0x0a].includes(r[0]!) && ![0x20, 0x09, 0x0a].includes(r[r.length - 1]!));
      new TextDecoder('utf-8', { fatal: true }).decode(r); // every row is whole characters
    }
  }
});
