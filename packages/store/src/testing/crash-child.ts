/**
 * Test helper for the crash test: deterministic blocks, and (run as a script with a directory
 * argument) a process that commits those blocks in a loop until it is killed, printing
 * `committed <height>` after each commit resolved.
 */
import { createHash } from 'node:crypto';
import { StateStore } from '../store.js';

export const CRASH_KEYS = 3000;

/** The state writes of block `height`: ~300 keys out of CRASH_KEYS, about 1 in 8 deleted. */
export function crashBlockWrites(height: number): Map<string, Uint8Array | null> {
  const writes = new Map<string, Uint8Array | null>();
  const seed = createHash('sha256').update(`block:${height}`).digest();
  const count = 200 + (seed[0]! % 200);
  for (let i = 0; i < count; i++) {
    const h = createHash('sha256').update(seed).update(String(i)).digest();
    const key = Buffer.from(`acct/${h.readUInt32BE(0) % CRASH_KEYS}`).toString('hex');
    writes.set(
      key,
      h[4]! % 8 === 0 ? null : new Uint8Array(Buffer.from(`${height}:${i}:${h.readUInt16BE(5)}`)),
    );
  }
  return writes;
}

export const blockRecordKey = (height: number): Uint8Array => new Uint8Array(Buffer.from(`block/${height}`));

async function main(dir: string): Promise<void> {
  const store = await StateStore.open(dir, { retainHeights: 20 });
  process.stdout.write(`ready ${store.height}\n`);
  for (;;) {
    const height = store.height + 1;
    const prepared = await store.prepare(crashBlockWrites(height));
    await prepared.commit({ puts: [[blockRecordKey(height), prepared.root]] });
    process.stdout.write(`committed ${height}\n`);
  }
}

if (process.argv[2] && import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv[2]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
