import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  encodeSignedHeader,
  type GenesisConfig,
  type SignedHeader,
  signHeader,
  signTransaction,
} from '@openledger/chain';
import {
  type Address,
  BaseError,
  bigintToBytes,
  bytesToBigint,
  decode,
  encode,
  type Hex,
  OPEN,
  privateKeyToAddress,
  SECP256K1_N,
  toHex,
  type Value,
} from '@openledger/core';
import { Follower, followerMethods, rpcCall } from './follower.js';
import { Node } from './node.js';
import { BlockProducer } from './producer.js';
import type { StoredBlock } from './records.js';
import { startRpcServer } from './rpc-server.js';

const KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
];
const WRONG_KEY: Hex = '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba';
const ADDR = KEYS.map((k) => privateKeyToAddress(k)) as Address[];
const USERS = [1, 2, 3, 4];

function genesis(): GenesisConfig {
  return {
    chainId: 9191n,
    genesisTime: 1_700_000_000n,
    sequencer: ADDR[0]!,
    accounts: ADDR.map((address) => ({ address, balance: 1_000n * OPEN })),
  };
}

/** A signed transfer's wire bytes, hex. */
function transfer(node: Node, from: number, to: Address, amount: bigint, nonce: bigint): Hex {
  const tx = signTransaction(
    node.app.registry,
    node.chainId,
    'Transfer',
    { from: ADDR[from]!, to, amount, nonce, gasLimit: 200_000n, gasPrice: 1_000_000_000n },
    KEYS[from]!,
  );
  return toHex(node.app.registry.encodeTx(tx));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('a follower syncs from the sequencer while transfers flow, and forwards transactions to it', async () => {
  const dirA = await mkdtemp(join(tmpdir(), 'ol-seq-'));
  const dirB = await mkdtemp(join(tmpdir(), 'ol-fol-'));
  let t = 1_700_000_000n;
  const leader = await Node.open({
    dataDir: dirA,
    genesis: genesis(),
    sequencerKey: KEYS[0],
    now: () => ++t,
  });
  const leaderRpc = await startRpcServer(leader);
  const producer = new BlockProducer(leader, 15);
  const follower = await Node.open({ dataDir: dirB, genesis: genesis() });
  const followerRpc = await startRpcServer(follower, { methods: followerMethods(leaderRpc.url) });
  const sync = new Follower(follower, leaderRpc.url, { pollMs: 10 });
  let syncErrors = 0;
  follower.on('syncError', () => syncErrors++);
  try {
    producer.start();
    await sync.start();
    // four senders, each 12 transfers to a rotating recipient; sent in waves while blocks are produced
    const recipients = [privateKeyToAddress(WRONG_KEY), ...ADDR];
    const hashes: Hex[] = [];
    let sentToFresh = 0n; // recipients[0] has no genesis balance
    for (let wave = 0; wave < 12; wave++) {
      for (const u of USERS) {
        const to = recipients[(u + wave) % recipients.length]!;
        const amount = BigInt(wave + 1) * OPEN + BigInt(u);
        if (to === recipients[0]) sentToFresh += amount;
        const raw = transfer(leader, u, to, amount, BigInt(wave));
        hashes.push(await rpcCall<Hex>(leaderRpc.url, 'ol_sendRawTransaction', [raw]));
      }
      await sleep(7);
    }
    // a transaction sent to the follower's RPC is forwarded to the sequencer and included there
    const viaFollower = await rpcCall<Hex>(followerRpc.url, 'ol_sendRawTransaction', [
      transfer(leader, 1, ADDR[2]!, 5n * OPEN, 12n),
    ]);
    hashes.push(viaFollower);
    assert.equal(leader.mempool.has(viaFollower) || !!(await leader.getReceipt(viaFollower)), true);
    // the sequencer's refusal comes back through the follower with its code
    await assert.rejects(
      rpcCall(followerRpc.url, 'ol_sendRawTransaction', [transfer(leader, 1, ADDR[2]!, OPEN, 0n)]),
      (e: unknown) => e instanceof BaseError && /^(NONCE_TOO_LOW|ALREADY_INCLUDED)$/.test(e.code),
    );
    await until('every transaction in a block', async () => {
      for (const h of hashes) if (!(await leader.getReceipt(h))) return false;
      return true;
    });
    for (const h of hashes) assert.equal((await leader.getReceipt(h))!.status, 'ok');
    await producer.stop();
    const blocksWithTxs = new Set<number>();
    for (const h of hashes) blocksWithTxs.add((await leader.getReceipt(h))!.height);
    assert.ok(blocksWithTxs.size >= 3, `transfers spread over ${blocksWithTxs.size} blocks`);
    await until('the follower to catch up', () => follower.height === leader.height);
    assert.equal(sync.error, undefined);
    assert.equal(syncErrors, 0);
    assert.equal(follower.latestHeader.hash, leader.latestHeader.hash);
    assert.equal(follower.latestHeader.stateRoot, leader.latestHeader.stateRoot);
    assert.equal(toHex(follower.store.root), toHex(leader.store.root));
    for (const a of [...ADDR, ...recipients]) {
      const [x, y] = await Promise.all([
        rpcCall<{ balance: string }>(leaderRpc.url, 'ol_getBalance', [a]),
        rpcCall<{ balance: string }>(followerRpc.url, 'ol_getBalance', [a]),
      ]);
      assert.equal(y.balance, x.balance);
    }
    // the follower re-executed every block: its receipts are its own and equal the sequencer's
    for (const h of hashes) assert.deepEqual(await follower.getReceipt(h), await leader.getReceipt(h));
    assert.ok(sentToFresh > 0n);
    assert.equal(
      (await rpcCall<{ balance: string }>(followerRpc.url, 'ol_getBalance', [recipients[0]])).balance,
      sentToFresh.toString(),
    );
  } finally {
    await producer.stop();
    await sync.stop();
    await followerRpc.close();
    await leaderRpc.close();
    await follower.close();
    await leader.close();
    await rm(dirA, { recursive: true, force: true });
    await rm(dirB, { recursive: true, force: true });
  }
});

test('a follower forwarding to an unreachable sequencer answers SEQUENCER_UNREACHABLE', async () => {
  const node = await Node.open({ genesis: genesis() });
  const rpc = await startRpcServer(node, {
    methods: followerMethods('http://127.0.0.1:1', { timeoutMs: 2000 }),
  });
  try {
    const res = await fetch(rpc.url, {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ol_sendRawTransaction', params: ['0x00'] }),
    });
    const body = (await res.json()) as { id: number; error: { code: number; data: { code: string } } };
    assert.equal(body.id, 7);
    assert.equal(body.error.code, -32020);
    assert.equal(body.error.data.code, 'SEQUENCER_UNREACHABLE');
    const bad = await fetch(rpc.url, {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'ol_sendRawTransaction', params: [42] }),
    });
    assert.equal(((await bad.json()) as { error: { code: number } }).error.code, -32602);
  } finally {
    await rpc.close();
    await node.close();
  }
});

/** A fake "sequencer": answers ol_chainInfo and ol_getRawBlock from the given blocks (index = height). */
async function fakeSequencer(blocks: Map<number, StoredBlock>): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const c of req) text += c;
    const { id, method, params } = JSON.parse(text) as { id: number; method: string; params: unknown[] };
    let result: unknown = null;
    if (method === 'ol_chainInfo') result = { height: Math.max(...blocks.keys()) };
    if (method === 'ol_getRawBlock') {
      const b = blocks.get(params[0] as number);
      result = b ? { header: toHex(encodeSignedHeader(b.header)), txs: b.txs.map((x) => toHex(x)) } : null;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id, result }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Real blocks 1 and 2 (block 2 with three transfers) from a sequencer with the test genesis. */
async function realBlocks(): Promise<Map<number, StoredBlock>> {
  const seq = await Node.open({ genesis: genesis(), sequencerKey: KEYS[0], now: () => 1_700_000_005n });
  try {
    for (const u of [1, 2, 3])
      await seq.submit(Buffer.from(transfer(seq, u, ADDR[4]!, OPEN, 0n).slice(2), 'hex'));
    await seq.produceBlock();
    return new Map([
      [1, (await seq.getBlock(1))!],
      [2, (await seq.getBlock(2))!],
    ]);
  } finally {
    await seq.close();
  }
}

const unsigned = (h: SignedHeader) => {
  const { hash: _h, signature: _s, ...rest } = h;
  return rest;
};

for (const c of [
  {
    name: 'a block signed by the wrong key',
    tamper: (b: StoredBlock): StoredBlock => ({ ...b, header: signHeader(unsigned(b.header), WRONG_KEY) }),
    reason: /block 2 is signed by 0x[0-9a-fA-F]{40}, not the sequencer/,
  },
  {
    name: 'a correctly signed block with a wrong state root',
    tamper: (b: StoredBlock): StoredBlock => ({
      ...b,
      header: signHeader({ ...unsigned(b.header), stateRoot: `0x${'ab'.repeat(32)}` }, KEYS[0]!),
    }),
    reason: /state root after re-execution is 0x[0-9a-f]{64}, the block says 0x(ab){32}/,
  },
  {
    // the transaction root commits to transaction hashes (EIP-712 digests), not to signatures
    name: 'a correctly signed block carrying a transaction with a high-s signature',
    tamper: (b: StoredBlock): StoredBlock => {
      const [chainId, kind, fields, sig] = decode(b.txs[0]!) as [bigint, string, Value[], Uint8Array];
      const high = sig.slice();
      high.set(bigintToBytes(SECP256K1_N - bytesToBigint(sig.subarray(32, 64)), 32), 32);
      high[64] = high[64] === 27 ? 28 : 27;
      return { ...b, txs: [encode([chainId, kind, fields, high]), ...b.txs.slice(1)] };
    },
    reason: /transaction 0 is invalid: signature has a high s value .*\(HIGH_S_SIGNATURE\)/,
  },
  {
    name: 'a correctly signed block missing one of its transactions',
    tamper: (b: StoredBlock): StoredBlock => ({ ...b, txs: b.txs.slice(1) }),
    reason: /transaction root 0x[0-9a-f]{64} differs/,
  },
]) {
  test(`a follower refuses and reports ${c.name}; nothing is written`, async () => {
    const blocks = await realBlocks();
    const good = blocks.get(2)!;
    blocks.set(2, c.tamper(good));
    const fake = await fakeSequencer(blocks);
    const dir = await mkdtemp(join(tmpdir(), 'ol-fol-'));
    const node = await Node.open({ dataDir: dir, genesis: genesis() });
    const rootBefore = toHex(node.store.root);
    const balanceOf = async (n: Node, address: Address) =>
      (
        (await n.app.query({ state: n.store.latest(), height: n.height }, 'bank.balance', { address })) as {
          balance: bigint;
        }
      ).balance;
    const balanceBefore = await balanceOf(node, ADDR[4]!);
    const sync = new Follower(node, fake.url, { pollMs: 10 });
    try {
      const reported = once(node, 'syncError') as Promise<[Error]>;
      await sync.start();
      const [err] = await reported;
      assert.ok(err instanceof BaseError);
      assert.equal(err.code, 'INVALID_BLOCK');
      assert.match(err.message, c.reason);
      assert.equal(sync.error, err);
      // nothing written: same height, root, no block 2, no receipts, balances unchanged
      assert.equal(node.height, 1);
      assert.equal(node.store.height, 1);
      assert.equal(toHex(node.store.root), rootBefore);
      assert.equal(await node.getBlock(2), undefined);
      for (const raw of good.txs) {
        const h = node.app.prepareTx(raw).hash;
        assert.equal(await node.getReceipt(h), undefined);
        assert.equal(await node.getTransaction(h), undefined);
      }
      await sync.stop();
      await node.close();
      // and on disk: a reopened node is still at block 1
      const again = await Node.open({ dataDir: dir });
      assert.equal(again.height, 1);
      assert.equal(toHex(again.store.root), rootBefore);
      assert.equal(await balanceOf(again, ADDR[4]!), balanceBefore);
      // the untampered block is accepted by the same node (the refusal was for the tampering only)
      await again.importBlock(good);
      assert.equal(again.height, 2);
      assert.equal(again.latestHeader.stateRoot, good.header.stateRoot);
      assert.equal(await balanceOf(again, ADDR[4]!), balanceBefore + 3n * OPEN);
      await again.close();
    } finally {
      await sync.stop();
      await node.close();
      fake.server.closeAllConnections();
      fake.server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
