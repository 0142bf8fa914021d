import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChainError, createApp, type GenesisConfig, signTransaction } from '@openledger/chain';
import {
  type Address,
  bigintToBytes,
  bytesToBigint,
  type Hex,
  keccak256,
  OPEN,
  privateKeyToAddress,
  recoverAddress,
  SECP256K1_N,
  signDigest,
  toHex,
  utf8,
} from '@openledger/core';
import { Node } from './node.js';
import { RecoveryPool } from './recovery-pool.js';

const key = (i: number): Hex => toHex(keccak256(utf8(`pool-test-${i}`)));
const KEYS = Array.from({ length: 12 }, (_, i) => key(i));
const ADDR = KEYS.map((k) => privateKeyToAddress(k)) as Address[];

test('the pool recovers what @noble/curves recovers, and refuses bad signatures with the same codes', async () => {
  const pool = new RecoveryPool({ threads: 2, minChunk: 16 });
  try {
    const digests: Uint8Array[] = [];
    const sigs: Uint8Array[] = [];
    for (let i = 0; i < 150; i++) {
      const d = keccak256(utf8(`digest ${i}`));
      digests.push(d);
      sigs.push(signDigest(d, KEYS[i % KEYS.length]!));
    }
    // damaged ones: high s (the same signature in its other form), bad v, r = 0, a flipped bit
    const high = sigs[0]!.slice();
    high.set(bigintToBytes(SECP256K1_N - bytesToBigint(high.subarray(32, 64)), 32), 32);
    high[64] = high[64] === 27 ? 28 : 27;
    const badV = sigs[1]!.slice();
    badV[64] = 29;
    const zeroR = sigs[2]!.slice();
    zeroR.fill(0, 0, 32);
    const flipped = sigs[3]!.slice();
    flipped[5]! ^= 1;
    digests.push(digests[0]!, digests[1]!, digests[2]!, digests[3]!);
    sigs.push(high, badV, zeroR, flipped);
    const out = await pool.recover(digests, sigs);
    assert.equal(out.length, 154);
    for (let i = 0; i < 150; i++) assert.equal(out[i], ADDR[i % KEYS.length]);
    assert.ok(out[150] instanceof ChainError && out[150].code === 'HIGH_S_SIGNATURE');
    assert.ok(out[151] instanceof ChainError && out[151].code === 'INVALID_SIGNATURE');
    assert.ok(out[152] instanceof ChainError && out[152].code === 'INVALID_SIGNATURE');
    // a flipped bit recovers some other key (or none): never the signer
    const f = out[153]!;
    assert.notEqual(f, ADDR[3]);
    if (!(f instanceof ChainError)) assert.equal(f, recoverAddress(digests[3]!, flipped));
    assert.equal(pool.stats.items, 154);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.recover([new Uint8Array(32)], [new Uint8Array(65)]), /closed/);
});

test('pool.prepare equals app.prepareTx for valid and broken transactions', async () => {
  const app = createApp();
  const pool = new RecoveryPool({ threads: 2, minChunk: 8 });
  try {
    const txs: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const from = i % KEYS.length;
      const tx = signTransaction(
        app.registry,
        77n,
        'Transfer',
        {
          from: ADDR[from]!,
          to: ADDR[(from + 1) % 12]!,
          amount: BigInt(i + 1),
          nonce: BigInt(i),
          gasLimit: 50_000n,
          gasPrice: 1n,
        },
        KEYS[from]!,
      );
      txs.push(app.registry.encodeTx(tx));
    }
    txs.push(Uint8Array.of(1, 2, 3), txs[0]!.slice(0, 40), new Uint8Array(0));
    const out = await pool.prepare(txs);
    for (const [i, bytes] of txs.entries()) {
      let expected: unknown;
      try {
        expected = app.prepareTx(bytes);
      } catch (e) {
        expected = e;
      }
      const got = out[i]!;
      if (expected instanceof ChainError) {
        assert.ok(got instanceof ChainError);
        assert.equal(got.code, expected.code);
      } else {
        assert.deepEqual(got, expected);
      }
    }
  } finally {
    await pool.close();
  }
});

function genesis(): GenesisConfig {
  return {
    chainId: 5151n,
    genesisTime: 1_700_000_000n,
    sequencer: ADDR[0]!,
    accounts: ADDR.map((address) => ({ address, balance: 1_000n * OPEN })),
  };
}

test('a node uses the pool for a burst of submissions and for importing a big block', async () => {
  const leader = await Node.open({
    genesis: genesis(),
    sequencerKey: KEYS[0],
    recovery: { threads: 2, minBatch: 8 },
  });
  const follower = await Node.open({ genesis: genesis(), recovery: { threads: 2, minBatch: 8 } });
  const plain = await Node.open({ genesis: genesis(), recovery: false });
  try {
    const txs: Uint8Array[] = [];
    for (let n = 0n; n < 10n; n++) {
      for (let u = 1; u < 12; u++) {
        const tx = signTransaction(
          leader.app.registry,
          leader.chainId,
          'Transfer',
          {
            from: ADDR[u]!,
            to: ADDR[(u % 11) + 1]!,
            amount: OPEN + n,
            nonce: n,
            gasLimit: 100_000n,
            gasPrice: 1_000_000_000n,
          },
          KEYS[u]!,
        );
        txs.push(leader.app.registry.encodeTx(tx));
      }
    }
    // 110 submissions in one turn of the event loop: recovered on the pool, all accepted
    const hashes = await Promise.all(txs.map((b) => leader.submit(b)));
    assert.equal(new Set(hashes).size, 110);
    assert.equal(leader.mempool.size, 110);
    const leaderPool = (leader as unknown as { pool: RecoveryPool }).pool;
    assert.ok(leaderPool.stats.items >= 110, `pool handled ${leaderPool.stats.items}`);
    const { receipts } = await leader.produceBlock();
    assert.equal(receipts.length, 110);
    const block = (await leader.getBlock(2))!;
    // the follower imports it through the pool, a node without pool inline: same result
    await follower.importBlock(block);
    await plain.importBlock(block);
    const followerPool = (follower as unknown as { pool: RecoveryPool }).pool;
    assert.equal(followerPool.stats.items, 110);
    assert.equal(follower.latestHeader.hash, leader.latestHeader.hash);
    assert.equal(toHex(follower.store.root), toHex(leader.store.root));
    assert.equal(toHex(plain.store.root), toHex(leader.store.root));
  } finally {
    await leader.close();
    await follower.close();
    await plain.close();
  }
});
