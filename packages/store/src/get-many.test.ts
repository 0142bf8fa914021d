import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreError } from './errors.js';
import { StateStore } from './store.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('latest().getMany answers as get for each key (present, absent, deleted, repeated)', async () => {
  const store = await StateStore.memory();
  try {
    const w1 = new Map<string, Uint8Array | null>();
    for (let i = 0; i < 50; i++) w1.set(hex(utf8(`k${i}`)), utf8(`v${i}`));
    await (await store.prepare(w1)).commit();
    await (await store.prepare(new Map([[hex(utf8('k3')), null]]))).commit();
    const reader = store.latest();
    const keys = [utf8('k1'), utf8('k3'), utf8('nope'), utf8('k49'), utf8('k1'), new Uint8Array(0)];
    const many = await reader.getMany!(keys);
    assert.equal(many.length, keys.length);
    for (const [i, k] of keys.entries()) assert.deepEqual(many[i], await reader.get(k));
    assert.deepEqual(many[0], utf8('v1'));
    assert.equal(many[1], undefined);
    assert.deepEqual(await reader.getMany!([]), []);
    await assert.rejects(reader.getMany!(['x' as unknown as Uint8Array]), StoreError);
  } finally {
    await store.close();
  }
});
