import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSafetensors, writeSafetensors } from './safetensors.js';

test('safetensors round-trips tensors and metadata', () => {
  const m = new Map([
    ['b', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-7, -0]) }],
    ['a', { shape: [1], data: Float32Array.from([42]) }],
  ]);
  const bytes = writeSafetensors(m, { hello: 'world' });
  const hlen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + hlen) % 8, 0, 'data is 8-byte aligned');
  const r = readSafetensors(bytes);
  assert.deepEqual(r.metadata, { hello: 'world' });
  assert.deepEqual([...r.tensors.keys()].sort(), ['a', 'b']);
  assert.deepEqual(r.tensors.get('b')?.shape, [2, 3]);
  assert.deepEqual([...(r.tensors.get('b')?.data ?? [])], [1, -2, 3.5, 0, Math.fround(1e-7), -0]);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  assert.deepEqual(header.a, { dtype: 'F32', shape: [1], data_offsets: [0, 4] });
});

test('safetensors reads F16 and BF16', () => {
  const header = JSON.stringify({
    h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
    b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
  });
  const hb = new TextEncoder().encode(header);
  const bytes = new Uint8Array(8 + hb.length + 6);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  bytes.set(hb, 8);
  dv.setUint16(8 + hb.length, 0x3c00, true); // 1.0
  dv.setUint16(8 + hb.length + 2, 0xc000, true); // -2.0
  dv.setUint16(8 + hb.length + 4, 0x4049, true); // bf16 ≈ 3.140625
  const r = readSafetensors(bytes);
  assert.deepEqual([...(r.tensors.get('h')?.data ?? [])], [1, -2]);
  assert.equal(r.tensors.get('b')?.data[0], 3.140625);
});

test('corrupted safetensors headers give clear errors', () => {
  const good = writeSafetensors(new Map([['x', { shape: [2], data: Float32Array.from([1, 2]) }]]));
  const code = { code: 'BAD_SAFETENSORS' };
  assert.throws(() => readSafetensors(good.subarray(0, 5)), { ...code, message: /too short/ });
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
  assert.throws(() => readSafetensors(huge), { ...code, message: /exceeds the file/ });
  const badJson = good.slice();
  badJson[8] = 0x5b; // '[' … breaks the JSON object
  badJson[9] = 0x7b;
  assert.throws(() => readSafetensors(badJson), {
    ...code,
    message: /not valid UTF-8 JSON|not a JSON object/,
  });
  const truncated = good.subarray(0, good.length - 4);
  assert.throws(() => readSafetensors(truncated), { ...code, message: /data_offsets/ });
  const wrongDtype = new TextEncoder().encode(
    JSON.stringify({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }),
  );
  const f = new Uint8Array(8 + wrongDtype.length + 8);
  new DataView(f.buffer).setBigUint64(0, BigInt(wrongDtype.length), true);
  f.set(wrongDtype, 8);
  assert.throws(() => readSafetensors(f), { ...code, message: /I64 is not supported/ });
  assert.throws(() => writeSafetensors(new Map([['x', { shape: [3], data: new Float32Array(2) }]])), code);
});
