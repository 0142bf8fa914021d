import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rowsRoot, splitRowBytes } from '@openledger/attribution/rules';
import { sha256, toHex, utf8 } from '@openledger/core';
import { BlobStore, contributionRows } from './blob-store.js';

const text = utf8('First row.\n\nSecond row,\nwith two lines.\n\n\n   \nThird.');

test('blobs are stored under their sha-256, survive a restart, and carry the row rule’s result', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ol-blobs-'));
  try {
    const store = await BlobStore.open(dir);
    const meta = await store.put([text.subarray(0, 7), text.subarray(7)], {
      kind: 'contribution',
      name: 'a.md',
      height: 5,
    });
    assert.equal(meta.hash, toHex(sha256(text)));
    assert.equal(meta.rowCount, 3);
    assert.equal(meta.rowsRoot, toHex(rowsRoot(splitRowBytes(text))));
    assert.deepEqual(await store.get(meta.hash), text);
    assert.equal((await store.putBytes(text, { kind: 'contribution', height: 9 })).uploadedHeight, 5); // same bytes, same blob
    // a leftover temporary file (crash mid-upload) is cleaned at open
    await writeFile(join(dir, 'tmp', 'dead.part'), 'partial');
    const reopened = await BlobStore.open(dir);
    assert.deepEqual(reopened.meta(meta.hash), meta);
    assert.deepEqual(await readdir(join(dir, 'tmp')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad uploads: over 5 MB (streamed), not UTF-8, not .txt/.md, no rows, empty', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ol-blobs-'));
  try {
    const store = await BlobStore.open(dir);
    let produced = 0;
    async function* huge() {
      for (let i = 0; i < 100; i++) {
        produced++;
        yield new Uint8Array(1_000_000).fill(0x61);
      }
    }
    await assert.rejects(
      store.put(huge(), { kind: 'contribution', height: 1 }),
      (e: Error & { code?: string }) => e.code === 'BLOB_TOO_LARGE',
    );
    assert.equal(produced, 6); // stopped as soon as it passed the limit
    const code = async (bytes: Uint8Array, name?: string) => {
      try {
        await store.putBytes(bytes, { kind: 'contribution', height: 1, ...(name ? { name } : {}) });
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    assert.equal(await code(new Uint8Array([0x61, 0xff, 0x62])), 'INVALID_UTF8');
    assert.equal(await code(utf8('fine text'), 'paper.pdf'), 'UNSUPPORTED_FORMAT');
    assert.equal(await code(utf8('\n\n  \n')), 'NO_ROWS');
    assert.equal(await code(new Uint8Array()), 'EMPTY_BLOB');
    assert.equal(await code(utf8('fine text'), 'notes.TXT'), 'ok');
    // evidence and adapters are bytes: no text rule
    assert.equal(
      (await store.putBytes(new Uint8Array([0, 255, 1]), { kind: 'evidence', height: 1 })).kind,
      'evidence',
    );
    assert.deepEqual(await readdir(join(dir, 'tmp')), []);
    assert.throws(() => contributionRows(utf8('x'), 'x.docx'), /not a \.txt or \.md/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('GC deletes uploads unreferenced for 1,000 blocks and keeps referenced ones', async () => {
  const store = await BlobStore.open(undefined);
  const a = await store.putBytes(utf8('kept'), { kind: 'contribution', height: 10 });
  const b = await store.putBytes(utf8('dropped'), { kind: 'contribution', height: 10 });
  await store.markReferenced(a.hash, 500);
  assert.deepEqual(await store.gc(1_009), []);
  assert.deepEqual(await store.gc(1_010), [b.hash]);
  assert.equal(store.has(a.hash), true);
  assert.equal(store.has(b.hash), false);
});
