import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GenesisConfig } from '@openledger/chain';
import { type Address, type Hex, OPEN, privateKeyToAddress } from '@openledger/core';
import { rpcCall } from './follower.js';
import { Node } from './node.js';
import { startRpcServer } from './rpc-server.js';

const KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
];
const [seq, bob] = KEYS.map((k) => privateKeyToAddress(k)) as [Address, Address];

export function testGenesis(): GenesisConfig {
  return {
    chainId: 4242n,
    genesisTime: 1_700_000_000n,
    sequencer: seq,
    accounts: [
      { address: seq, balance: 1_000_000n * OPEN },
      { address: bob, balance: 10n * OPEN },
    ],
  };
}

test('a node restarts at the same height and state root', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ol-node-'));
  try {
    let t = 1_700_000_000n;
    const node = await Node.open({
      dataDir: dir,
      genesis: testGenesis(),
      sequencerKey: KEYS[0],
      now: () => ++t,
    });
    assert.equal(node.height, 1);
    await node.produceBlock();
    await node.produceBlock();
    const { height, stateRoot, hash } = node.latestHeader;
    await node.close();
    const again = await Node.open({ dataDir: dir, sequencerKey: KEYS[0] });
    assert.equal(again.height, height);
    assert.equal(again.latestHeader.stateRoot, stateRoot);
    assert.equal(again.latestHeader.hash, hash);
    await again.close();
    // restarting with the same genesis (no params/modules sections) is not a mismatch
    const same = await Node.open({ dataDir: dir, genesis: testGenesis(), sequencerKey: KEYS[0] });
    assert.equal(same.latestHeader.hash, hash);
    await same.close();
    await assert.rejects(
      Node.open({ dataDir: dir, genesis: { ...testGenesis(), chainId: 1n } }),
      /another genesis/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the RPC answers malformed requests with precise JSON-RPC errors', async () => {
  const node = await Node.open({ genesis: testGenesis(), sequencerKey: KEYS[0] });
  const rpc = await startRpcServer(node, { maxBodyBytes: 10_000 });
  try {
    const post = async (body: string) => {
      const res = await fetch(rpc.url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      return {
        status: res.status,
        json: (await res.json()) as {
          error?: { code: number; message: string; data?: { code: string } };
          result?: unknown;
        },
      };
    };
    assert.equal((await post('{bad json')).json.error?.code, -32700);
    assert.equal((await post('{"jsonrpc":"2.0","id":1}')).json.error?.code, -32600);
    assert.equal((await post('{"jsonrpc":"2.0","id":1,"method":"nope"}')).json.error?.code, -32601);
    const big = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ol_chainInfo', params: ['x'.repeat(20_000)] }),
    );
    assert.equal(big.status, 413);
    const badTx = await post('{"jsonrpc":"2.0","id":1,"method":"ol_sendRawTransaction","params":["0x0102"]}');
    assert.equal(badTx.json.error?.code, -32001);
    assert.equal(badTx.json.error?.data?.code, 'INVALID_TX');
    const badAddr = await post('{"jsonrpc":"2.0","id":1,"method":"ol_getBalance","params":["0x12"]}');
    assert.equal(badAddr.json.error?.code, -32602);
    assert.equal(await rpcCall(rpc.url, 'eth_chainId'), '0x1092');
    assert.equal(await rpcCall(rpc.url, 'net_version'), '4242');
    const bal = await rpcCall<{ balance: string }>(rpc.url, 'ol_getBalance', [bob]);
    assert.equal(bal.balance, (10n * OPEN).toString());
  } finally {
    await rpc.close();
    await node.close();
  }
});
