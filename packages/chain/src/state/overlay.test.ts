import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryState, Overlay } from './overlay.js';

const k = (s: string) => new TextEncoder().encode(s);
const hex = (s: string) => Buffer.from(k(s)).toString('hex');

/** A committed-state reader with getMany that counts reads. */
function backing() {
  const mem = new MemoryState();
  mem.apply(
    new Map([
      [hex('a'), k('1')],
      [hex('b'), k('2')],
    ]),
  );
  const counts = { get: 0, getMany: 0 };
  return {
    counts,
    reader: {
      get: (key: Uint8Array) => {
        counts.get++;
        return mem.get(key);
      },
      getMany: async (keys: Uint8Array[]) => {
        counts.getMany++;
        return Promise.all(keys.map((x) => mem.get(x)));
      },
      iterate: mem.iterate.bind(mem),
    },
  };
}

test('the root overlay reads committed state once per key; prefetch batches; writes win', async () => {
  const { counts, reader } = backing();
  const root = new Overlay(reader);
  await root.prefetch([k('a'), k('zz'), k('a')]);
  assert.deepEqual(counts, { get: 0, getMany: 1 });
  assert.deepEqual(await root.get(k('a')), k('1'));
  assert.equal(await root.get(k('zz')), undefined);
  assert.deepEqual(await root.get(k('b')), k('2'));
  assert.deepEqual(await root.get(k('b')), k('2'));
  assert.deepEqual(counts, { get: 1, getMany: 1 });
  // writes and deletes in the overlay and in a child take precedence over cached reads
  root.set(k('a'), k('9'));
  root.delete(k('b'));
  assert.deepEqual(await root.get(k('a')), k('9'));
  assert.equal(await root.get(k('b')), undefined);
  const child = new Overlay(root);
  assert.deepEqual(await child.get(k('a')), k('9'));
  child.set(k('zz'), k('3'));
  assert.deepEqual(await child.get(k('zz')), k('3'));
  assert.equal(await root.get(k('zz')), undefined);
  child.commitTo(root);
  assert.deepEqual(await root.get(k('zz')), k('3'));
  await child.prefetch([k('c')]); // goes to the root
  assert.equal(counts.getMany, 2);
  assert.deepEqual(counts.get, 1);
  // a reader without getMany: prefetch is a no-op
  const plain = new Overlay(new MemoryState());
  await plain.prefetch([k('a')]);
  assert.equal(await plain.get(k('a')), undefined);
});
