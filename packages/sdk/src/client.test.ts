import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Address, type Hex, OPEN, privateKeyToAddress } from '@openledger/core';
import { BlockProducer, Node, startRpcServer } from '@openledger/node';
import { privateKeyToAccount } from 'viem/accounts';
import { OpenLedgerClient } from './client.js';
import { RpcRequestError } from './errors.js';
import { LightClient } from './light-client.js';
import { externalSigner, privateKeySigner } from './signer.js';

const KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
];
const [seq, bob] = KEYS.map((k) => privateKeyToAddress(k)) as [Address, Address];
const carol = privateKeyToAddress('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');

async function devnet() {
  const node = await Node.open({
    genesis: {
      chainId: 777n,
      genesisTime: 1_700_000_000n,
      sequencer: seq,
      accounts: [
        { address: seq, balance: 1000n * OPEN },
        { address: bob, balance: 10n * OPEN },
      ],
    },
    sequencerKey: KEYS[0],
  });
  const rpc = await startRpcServer(node);
  const producer = new BlockProducer(node, 50);
  producer.start();
  return {
    client: new OpenLedgerClient(rpc.url),
    async close() {
      await producer.stop();
      await rpc.close();
      await node.close();
    },
  };
}

test('the SDK sends OPEN with a private key and with a viem account, and subscribes to events', async () => {
  const { client, close } = await devnet();
  try {
    const events: unknown[] = [];
    const unsubscribe = await client.subscribe('events', (e) => events.push(e), {
      type: 'bank.transfer',
      attribute: carol,
    });
    const sent = await client.transfer(privateKeySigner(KEYS[0]!), carol, '1.5');
    const receipt = await sent.wait();
    assert.equal(receipt.status, 'ok');
    assert.equal((await client.getBalance(carol)).formatted, '1.5');

    const account = privateKeyToAccount(KEYS[1]!);
    const viemSigner = externalSigner(account.address, (p) =>
      account.signTypedData(p as Parameters<typeof account.signTypedData>[0]),
    );
    const r2 = await (await client.transfer(viemSigner, carol, OPEN)).wait();
    assert.equal(r2.status, 'ok');
    assert.equal((await client.getBalance(carol)).balance, OPEN + (3n * OPEN) / 2n);
    for (let i = 0; i < 50 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(events.length, 2);
    await unsubscribe();

    // an included transfer beyond the balance fails: its receipt says why, and it still pays gas
    const before = (await client.getBalance(bob)).balance;
    const failed = await (await client.transfer(privateKeySigner(KEYS[1]!), carol, '100')).wait();
    assert.equal(failed.status, 'failed');
    assert.equal(failed.code, 'INSUFFICIENT_FUNDS');
    assert.equal((await client.getBalance(bob)).balance, before - failed.gasUsed * failed.gasPrice);
    // refused before inclusion: a nonce already used
    await assert.rejects(
      client.transfer(privateKeySigner(KEYS[1]!), carol, '1', { nonce: 0n, gasLimit: 100_000n }),
      (e: unknown) => e instanceof RpcRequestError && e.code === 'NONCE_TOO_LOW' && e.rpcCode === -32002,
    );
  } finally {
    await close();
  }
});

test('the light client proves balances against signed state roots and refuses a lying node', async () => {
  const { client, close } = await devnet();
  try {
    await (await client.transfer(privateKeySigner(KEYS[0]!), carol, '2')).wait();
    const light = new LightClient(client);
    const proven = await light.balance(carol);
    assert.equal(proven.balance, 2n * OPEN);
    const absent = await light.balance('0x000000000000000000000000000000000000dEaD');
    assert.equal(absent.balance, 0n);
    // a node that lies about the value: the proof no longer matches the signed root
    const lying = new OpenLedgerClient(client.url);
    const real = lying.request.bind(lying);
    lying.request = (async (method: string, params: unknown[] = []) => {
      const r = (await real(method, params)) as Record<string, unknown>;
      return method === 'ol_getProof' ? { ...r, value: '0x030101' } : r;
    }) as typeof lying.request;
    await assert.rejects(new LightClient(lying).balance(carol), /does not match the signed state root/);
    // a header signed by someone else than the genesis sequencer is refused
    const pinned = new LightClient(client);
    pinned.trustSequencer(bob);
    await assert.rejects(pinned.balance(carol), /not the sequencer/);
  } finally {
    await close();
  }
});
