import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCrashRounds } from './crash.js';

const ROUNDS = Number(process.env.OL_CRASH_ROUNDS ?? 20);

test(`SIGKILL under load, ${ROUNDS} rounds: the node restarts at its last committed block and loses no receipt`, async () => {
  const counts = await runCrashRounds({ rounds: ROUNDS, seed: 7 });
  assert.equal(counts.rounds, ROUNDS);
  // the rounds really ran under load: receipts were returned and then checked after later kills
  const loaded = counts.rounds - counts.startupKills;
  assert.ok(counts.receiptsReturned >= loaded * 2, `only ${counts.receiptsReturned} receipts returned`);
  assert.ok(counts.receiptsChecked > counts.receiptsReturned, 'receipts were re-checked after later kills');
  assert.ok(
    counts.blocksWithTransactions >= ROUNDS,
    `only ${counts.blocksWithTransactions} blocks had transactions`,
  );
  console.log(JSON.stringify(counts));
});
