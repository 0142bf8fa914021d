import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockProducer, Node, startRpcServer } from '@openledger/node';
import { OpenLedgerClient } from '@openledger/sdk';
import { DEVNET_GENESIS_TIME, demoKey, devnetGenesis } from '../devnet-config.js';
import { run } from '../main.js';

/**
 * A devnet node (the real genesis, store, mempool, RPC and block producer) whose clock only moves
 * when the test says so, so that the governance windows (DESIGN §4 devnet: delay 5 s, voting 60 s,
 * timelock 5 s) pass in milliseconds.
 */
async function devnetNode() {
  let clock = DEVNET_GENESIS_TIME + 1n;
  const node = await Node.open({
    genesis: devnetGenesis(),
    sequencerKey: demoKey('sequencer'),
    now: () => clock,
  });
  const rpc = await startRpcServer(node);
  const producer = new BlockProducer(node, 20);
  producer.start();
  const c = new OpenLedgerClient(rpc.url);
  return {
    rpc: ['--rpc', rpc.url],
    client: c,
    /** Moves block time forward and waits until a block at or past it is committed. */
    async advance(seconds: bigint) {
      clock += seconds;
      while (BigInt(node.latestHeader.time) < clock) await new Promise((r) => setTimeout(r, 10));
    },
    async close() {
      await producer.stop();
      await rpc.close();
      await node.close();
    },
  };
}

async function cli(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) };
}

test('a proposal lifecycle through a real node with the CLI: propose, vote, queue, execute', async () => {
  const net = await devnetNode();
  try {
    const { rpc } = net;
    const power = await cli(['gov', 'power', 'alice', ...rpc, '--json']);
    assert.equal(power.code, 0, power.stderr);
    assert.equal(power.json().votes, (20_000n * 10n ** 18n).toString());

    const proposed = await cli([
      'gov',
      'propose',
      '--title',
      'Raise the quorum to 6%',
      '--set-param',
      'gov.quorumBps=600',
      '--from',
      'alice',
      ...rpc,
      '--json',
    ]);
    assert.equal(proposed.code, 0, proposed.stderr);
    assert.equal(proposed.json().status, 'ok');
    const shown = await cli(['gov', 'show', '1', ...rpc, '--json']);
    assert.equal(shown.json().status, 'Pending');
    assert.deepEqual(shown.json().decoded, [
      { kind: 'SetParams', fields: { changes: [{ module: 'gov', name: 'quorumBps', value: '600' }] } },
    ]);

    // voting is not open yet: the vote is included, fails with a clear code, and pays its gas
    const early = await cli(['gov', 'vote', '1', 'for', '--from', 'bob', ...rpc]);
    assert.equal(early.code, 1);
    assert.match(early.stdout, /FAILED in block \d+: VOTING_NOT_OPEN: voting on proposal 1 opens at time/);
    const notMine = await cli(['gov', 'cancel', '1', '--from', 'bob', ...rpc]);
    assert.equal(notMine.code, 1);
    assert.match(notMine.stdout, /NOT_PROPOSER/);

    await net.advance(5n);
    assert.equal((await cli(['gov', 'show', '1', ...rpc, '--json'])).json().status, 'Active');
    for (const who of ['alice', 'bob', 'carol']) {
      const v = await cli(['gov', 'vote', '1', who === 'carol' ? 'against' : 'for', '--from', who, ...rpc]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /voted (for|against) on proposal 1 in block/);
    }
    const twice = await cli(['gov', 'vote', '1', 'for', '--from', 'bob', ...rpc]);
    assert.match(twice.stdout, /ALREADY_VOTED/);

    await net.advance(60n);
    const queued = (await cli(['gov', 'show', '1', ...rpc, '--json'])).json();
    assert.equal(queued.status, 'Queued');
    assert.equal(queued.forVotes, (40_000n * 10n ** 18n).toString());
    const tooSoon = await cli(['gov', 'execute', '1', '--from', 'dave', ...rpc]);
    assert.match(tooSoon.stdout, /TIMELOCK_NOT_ELAPSED/);

    await net.advance(5n);
    const executed = await cli(['gov', 'execute', '1', '--from', 'dave', ...rpc]);
    assert.equal(executed.code, 0, executed.stdout + executed.stderr);
    assert.match(executed.stdout, /proposal 1 executed in block/);
    const list = await cli(['gov', 'list', ...rpc]);
    assert.match(list.stdout, /1\s+Executed\s+40000\s+20000\s+Raise the quorum to 6%/);
    const params =
      await net.client.query<Array<{ module: string; name: string; value: string }>>('params.all');
    assert.equal(params.find((p) => p.module === 'gov' && p.name === 'quorumBps')?.value, '600');
  } finally {
    await net.close();
  }
});

test('staking through the CLI: bond to the sequencer, earn fees, withdraw, unbond', async () => {
  const net = await devnetNode();
  try {
    const { rpc } = net;
    const validators = await cli(['stake', 'validators', ...rpc, '--json']);
    assert.equal(validators.code, 0, validators.stderr);
    assert.equal(validators.json().validators.length, 1);
    const bonded = await cli(['stake', 'bond', 'sequencer', '100', '--from', 'erin', ...rpc]);
    assert.equal(bonded.code, 0, bonded.stdout + bonded.stderr);
    assert.match(bonded.stdout, /bonded 100 OPEN to 0x/);
    // a few transfers make fees for the next blocks
    for (let i = 0; i < 3; i++)
      assert.equal((await cli(['send', 'frank', '1', '--from', 'alice', ...rpc])).code, 0);
    const shown = (await cli(['stake', 'show', 'erin', ...rpc, '--json'])).json();
    assert.equal(shown.delegations[0].amount, (100n * 10n ** 18n).toString());
    assert.ok(BigInt(shown.rewards) > 0n, 'erin earned part of the gas fees');
    const withdrawn = await cli(['stake', 'withdraw', 'sequencer', '--from', 'erin', ...rpc]);
    assert.match(withdrawn.stdout, /withdrew [\d.]+ OPEN of rewards in block/);
    const tooMuch = await cli(['stake', 'unbond', 'sequencer', '100.1', '--from', 'erin', ...rpc]);
    assert.equal(tooMuch.code, 1);
    assert.match(tooMuch.stdout, /INSUFFICIENT_STAKE: cannot unbond 100.1 OPEN/);
    const unbonded = await cli(['stake', 'unbond', 'sequencer', '40', '--from', 'erin', ...rpc]);
    assert.match(unbonded.stdout, /unbonding 40 OPEN from 0x\w+, released at 2026-/);
    const after = (await cli(['stake', 'show', 'erin', ...rpc, '--json'])).json();
    assert.equal(after.unbonding.length, 1);
    await net.advance(60n);
    assert.equal((await cli(['stake', 'show', 'erin', ...rpc, '--json'])).json().unbonding.length, 0);
    const bad = await cli(['stake', 'bond', 'sequencer', '--from', 'erin', ...rpc]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /usage: openledger stake bond/);
  } finally {
    await net.close();
  }
});
