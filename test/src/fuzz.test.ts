import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from './fuzz.js';

const SCALE = Number(process.env.OL_FUZZ_SCALE ?? 1);

test('fuzzing the transaction decoder and the RPC (in-process, HTTP, WebSocket): no crash, no leak', async () => {
  const counts = await runFuzz({
    decoderRuns: 4_000 * SCALE,
    rpcRuns: 4_500 * SCALE,
    httpRuns: 1_200 * SCALE,
    wsRuns: 400 * SCALE,
    seed: Number(process.env.OL_FUZZ_SEED ?? 424242),
  });
  console.log(JSON.stringify(counts));
  assert.ok(counts.total >= 10_000 * SCALE, `only ${counts.total} inputs`);
  // the generators reach the interesting parts: accepted decodes, valid requests with results
  assert.ok(counts.decoderAccepted > 100, 'mutations that still decode and recover');
  assert.ok(counts.decoderCheckTxPassed > 10, 'unmutated transactions pass checkTx');
  assert.ok(counts.rpcResults > 500, 'requests that got results');
  assert.ok(counts.rpcErrors > 500, 'requests that got errors');
});
