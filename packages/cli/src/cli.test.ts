import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { generatePrivateKey, privateKeyToAddress } from '@openledger/core';
import { startDevnet } from './commands/node.js';
import { demoAccounts } from './devnet-config.js';
import { decryptKey, encryptKey } from './keystore.js';
import { run } from './main.js';

/** Runs the CLI in-process, capturing what it prints. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test('V3 keystores round-trip and refuse a wrong password', async () => {
  const key = generatePrivateKey();
  const ks = await encryptKey(key, 'correct horse', { n: 1024 });
  assert.equal(`0x${ks.address}`, privateKeyToAddress(key).toLowerCase());
  assert.equal(await decryptKey(ks, 'correct horse'), key);
  await assert.rejects(decryptKey(ks, 'wrong'), /wrong password/);
});

test('openledger send moves OPEN, the balance survives a restart, and keys are encrypted at rest', async () => {
  const home = await mkdtemp(join(tmpdir(), 'ol-cli-'));
  process.env.OPENLEDGER_HOME = home;
  const dataDir = join(home, 'devnet');
  let devnet = await startDevnet({ dataDir, port: 0, blockIntervalMs: 50 });
  try {
    const rpc = ['--rpc', devnet.rpc.url];
    const bobBefore = BigInt(JSON.parse((await cli(['balance', 'bob', ...rpc, '--json'])).stdout).balance);
    const sent = await cli(['send', 'bob', '12.5', '--from', 'alice', ...rpc, '--json']);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(JSON.parse(sent.stdout).status, 'ok');

    await writeFile(join(home, 'pw'), 'a long password\n');
    const created = await cli(['keys', 'new', 'mine', '--password-file', join(home, 'pw'), '--json']);
    assert.equal(created.code, 0, created.stderr);
    const mine = JSON.parse(created.stdout).address as string;
    const { readFile } = await import('node:fs/promises');
    const stored = await readFile(join(home, 'keys', 'mine.json'), 'utf8');
    assert.match(stored, /"kdf": "scrypt"/);
    assert.doesNotMatch(stored, /privateKey/);
    assert.equal((await cli(['send', 'mine', '3', '--from', 'alice', ...rpc])).code, 0);
    const fromMine = await cli([
      'send',
      'carol',
      '1',
      '--from',
      'mine',
      '--password-file',
      join(home, 'pw'),
      ...rpc,
      '--json',
    ]);
    assert.equal(JSON.parse(fromMine.stdout).status, 'ok');
    const wrongPw = await cli(['send', 'carol', '1', '--from', 'mine', ...rpc]);
    assert.equal(wrongPw.code, 1); // no password available without a TTY
    assert.match(wrongPw.stderr, /password/);

    await devnet.stop();
    devnet = await startDevnet({ dataDir, port: 0, blockIntervalMs: 50 });
    const bob = demoAccounts().find((a) => a.name === 'bob')!;
    const balance = await cli(['balance', bob.address, '--rpc', devnet.rpc.url, '--json']);
    assert.equal(BigInt(JSON.parse(balance.stdout).balance), bobBefore + 12_500_000_000_000_000_000n);
    const mineBalance = await cli(['balance', mine, '--rpc', devnet.rpc.url, '--json']);
    assert.ok(BigInt(JSON.parse(mineBalance.stdout).balance) > 1n);
  } finally {
    await devnet.stop();
    delete process.env.OPENLEDGER_HOME;
    await rm(home, { recursive: true, force: true });
  }
});

test('bad input gets a clear message and exit code, never a stack trace', async () => {
  const r1 = await cli([
    'send',
    'bob',
    '1.0000000000000000001',
    '--from',
    'alice',
    '--rpc',
    'http://127.0.0.1:9',
  ]);
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /more than 18 decimals/);
  const r2 = await cli(['balance', 'alice', '--rpc', 'http://127.0.0.1:9']);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /cannot reach the node/);
  const r3 = await cli(['frobnicate']);
  assert.equal(r3.code, 2);
  const r4 = await cli(['send', '--bogus']);
  assert.match(r4.stderr, /unknown option --bogus/);
  const help = await cli(['send', '--help']);
  assert.match(help.stdout, /Usage: openledger send/);
});
