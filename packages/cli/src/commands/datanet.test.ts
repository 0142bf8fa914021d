import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../main.js';
import { startDevnet } from './node.js';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

const ev = (r: { events: { type: string; attributes: [string, string][] }[] }, type: string, key: string) =>
  r.events.find((e) => e.type === type)?.attributes.find(([k]) => k === key)?.[1];

test('openledger datanet / model / escrow / rewards / feedback / operator commands against a devnet', async () => {
  const home = await mkdtemp(join(tmpdir(), 'ol-cli-dn-'));
  process.env.OPENLEDGER_HOME = home;
  const devnet = await startDevnet({
    dataDir: join(home, 'devnet'),
    port: 0,
    blockIntervalMs: 30,
    adapter: null,
  }); // no demo model: this test registers its own
  const rpc = ['--rpc', devnet.rpc.url];
  try {
    const created = await cli([
      'datanet',
      'create',
      '--name',
      'Glossary',
      '--tags',
      'a,b',
      '--training-fee',
      '2',
      '--from',
      'alice',
      ...rpc,
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const datanet = ev(created.json, 'datanets.created', 'datanet')!;

    const file = join(home, 'rows.md');
    await writeFile(file, 'First row.\n\nSecond row.');
    const contributed = await cli([
      'datanet',
      'contribute',
      datanet,
      file,
      '--from',
      'bob',
      ...rpc,
      '--json',
    ]);
    assert.equal(contributed.code, 0, contributed.stderr);
    const contribution = ev(contributed.json, 'datanets.contributed', 'contribution')!;
    const bad = join(home, 'paper.pdf');
    await writeFile(bad, 'not text');
    const refused = await cli(['datanet', 'contribute', datanet, bad, '--from', 'bob', ...rpc]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not a \.txt or \.md file/);

    const pending = await cli(['datanet', 'pending', datanet, ...rpc, '--json']);
    assert.equal(pending.json.length, 1);
    assert.equal((await cli(['datanet', 'approve', contribution, '--from', 'alice', ...rpc])).code, 0);
    const twice = await cli(['datanet', 'approve', contribution, '--from', 'alice', ...rpc, '--json']);
    assert.equal(twice.code, 1);
    assert.equal(twice.json.code, 'CONTRIBUTION_NOT_PENDING');

    const shown = await cli(['datanet', 'show', datanet, ...rpc]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /Glossary/);
    assert.match(shown.stdout, /2 rows/);
    const proof = await cli(['datanet', 'proof', datanet, '1', ...rpc, '--json']);
    assert.equal(proof.json.row, 'Second row.');

    const model = await cli([
      'model',
      'register',
      '--name',
      'demo',
      '--base',
      'base',
      '--from',
      'carol',
      ...rpc,
      '--json',
    ]);
    const modelId = ev(model.json, 'models.registered', 'model')!;
    assert.equal(
      (await cli(['datanet', 'licence', datanet, '--model', modelId, '--from', 'carol', ...rpc])).code,
      0,
    );
    const listed = await cli(['model', 'list', ...rpc, '--json']);
    assert.equal(listed.json[0].stage, 'Proposed');

    assert.equal(
      (await cli(['escrow', 'fund', '5', '--operators', 'operator', '--from', 'dave', ...rpc])).code,
      0,
    );
    const escrow = await cli(['escrow', 'show', 'dave', ...rpc, '--json']);
    assert.equal(escrow.json.balance, '5000000000000000000');
    assert.equal((await cli(['escrow', 'withdraw', '2', '--from', 'dave', ...rpc])).code, 0);
    const early = await cli(['escrow', 'withdraw', '--complete', '--from', 'dave', ...rpc, '--json']);
    assert.equal(early.json.code, 'WITHDRAWAL_NOT_READY');

    const rewards = await cli(['rewards', 'show', 'bob', ...rpc, '--json']);
    assert.equal(BigInt(rewards.json.datanetTotal) > 0n, true); // the licence fee credited bob's rows
    const claimed = await cli(['rewards', 'claim', '--from', 'bob', ...rpc, '--json']);
    assert.equal(claimed.json.status, 'ok');

    assert.equal((await cli(['operator', 'bond', '1000', '--from', 'operator', ...rpc])).code, 0);
    assert.match((await cli(['operator', 'show', 'operator', ...rpc])).stdout, /bonded 1000 OPEN/);
    assert.equal((await cli(['feedback', 'bond', '10', '--from', 'erin', ...rpc])).code, 0);
    assert.match((await cli(['feedback', 'epoch', ...rpc])).stdout, /epoch \d+/);
    assert.equal((await cli(['datanet', '--help'])).code, 0);
  } finally {
    await devnet.stop();
    await rm(home, { recursive: true, force: true });
  }
});
