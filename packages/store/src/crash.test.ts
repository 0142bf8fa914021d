import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StateStore } from './store.js';
import { blockRecordKey, CRASH_KEYS, crashBlockWrites } from './testing/crash-child.js';
import { verifyProof } from './verify.js';

const child = fileURLToPath(new URL('./testing/crash-child.js', import.meta.url));
const ROUNDS = Number(process.env.STORE_CRASH_ROUNDS ?? 8);

/** Runs the child until it has committed past `minHeight`, then SIGKILLs it after a random delay. */
function runAndKill(dir: string, delayMs: number): Promise<{ lastAcked: number; ready: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let lastAcked = -1;
    let ready = -1;
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const [word, n] = line.split(' ');
        if (word === 'ready') {
          ready = Number(n);
          timer = setTimeout(() => p.kill('SIGKILL'), delayMs);
        } else if (word === 'committed') lastAcked = Number(n);
      }
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${err}`));
      else resolve({ lastAcked, ready });
    });
  });
}

test(`crash: ${ROUNDS} SIGKILLs at random moments leave the store at a committed height`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'olstore-crash-'));
  const reference = await StateStore.memory({ retainHeights: 1 });
  const model = new Map<string, Uint8Array>();
  const roots: Uint8Array[] = [reference.root];
  try {
    let previous = 0;
    let unacknowledgedButDurable = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const delay = 150 + Math.floor(Math.random() * 500);
      const run = await runAndKill(dir, delay);
      const { ready } = run;
      const lastAcked = Math.max(run.lastAcked, ready); // nothing acknowledged yet: the start height
      assert.equal(ready, previous, 'child resumed at the height found after the previous crash');
      const store = await StateStore.open(dir, { retainHeights: 20 });
      try {
        const h = store.height;
        assert.ok(h >= lastAcked, `height ${h} lost an acknowledged commit ${lastAcked}`);
        assert.ok(h <= lastAcked + 1, `height ${h} beyond what the child could have committed`);
        if (h === lastAcked + 1) unacknowledgedButDurable++;
        // reference replay up to h
        while (reference.height < h) {
          const writes = crashBlockWrites(reference.height + 1);
          await (await reference.prepare(writes)).commit();
          for (const [k, v] of writes) {
            if (v === null) model.delete(k);
            else model.set(k, v);
          }
          roots.push(reference.root);
        }
        assert.deepEqual(store.root, roots[h], `root at height ${h}`);
        // every value matches the replay at h
        const got = new Map<string, string>();
        for await (const [k, v] of store.latest().iterate(new Uint8Array()))
          got.set(Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex'));
        assert.equal(got.size, model.size);
        for (const [k, v] of model) assert.equal(got.get(k), Buffer.from(v).toString('hex'), `value of ${k}`);
        // the block record of h is there (same batch), the next is not
        if (h > 0) assert.deepEqual(await store.getRecord(blockRecordKey(h)), roots[h]);
        assert.equal(await store.getRecord(blockRecordKey(h + 1)), undefined);
        // proofs against the recovered root, and the previous height still readable
        for (let i = 0; i < CRASH_KEYS; i += 499) {
          const key = new Uint8Array(Buffer.from(`acct/${i}`));
          const { value, proof, root } = await store.prove(key);
          assert.deepEqual(value, model.get(Buffer.from(key).toString('hex')));
          assert.ok(verifyProof(root, key, value, proof));
        }
        if (h > 1) assert.deepEqual((await store.prove(new Uint8Array([1]), h - 1)).root, roots[h - 1]);
        assert.ok(h > previous || round === 0 || lastAcked <= previous, 'progress between rounds');
        previous = h;
      } finally {
        await store.close();
      }
    }
    assert.ok(previous > ROUNDS, `the child committed blocks (${previous})`);
    t.diagnostic(
      `${ROUNDS} kills, ${previous} heights committed, ${unacknowledgedButDurable} kills landed after a batch was written but before its commit() resolved`,
    );
  } finally {
    await reference.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
