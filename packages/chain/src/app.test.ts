import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Address, fromHex, type Hex, OPEN, privateKeyToAddress, toHex } from '@openledger/core';
import { privateKeyToAccount } from 'viem/accounts';
import { App, GOVERNANCE, type PreparedTx } from './app.js';
import type { BlockInfo } from './context.js';
import { FEE_COLLECTOR } from './modules/bank/index.js';
import { MemoryState } from './state/overlay.js';
import { signTransaction, type TxMessage } from './tx.js';

const CHAIN_ID = 1337n;
const KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
];
const [alice, bob, carol] = KEYS.map((k) => privateKeyToAddress(k)) as [Address, Address, Address];
const GAS_PRICE = 1_000_000_000n;

async function setup() {
  const app = new App();
  const state = new MemoryState();
  const { writes } = await app.genesis(state, {
    chainId: CHAIN_ID,
    genesisTime: 1_700_000_000n,
    sequencer: alice,
    accounts: [
      { address: alice, balance: 1000n * OPEN },
      { address: bob, balance: 10n * OPEN },
    ],
  });
  state.apply(writes);
  let height = 1;
  const block = (): BlockInfo => ({
    chainId: CHAIN_ID,
    height: ++height,
    time: 1_700_000_000n + BigInt(height),
    proposer: alice,
  });
  const balance = async (a: Address) =>
    (await app.query({ state, height }, 'bank.balance', { address: a })) as { balance: bigint };
  return { app, state, block, balance };
}

function transfer(
  app: App,
  key: Hex,
  nonce: bigint,
  to: Address,
  amount: bigint,
  gasLimit = 100_000n,
): PreparedTx {
  const from = privateKeyToAddress(key);
  const message: TxMessage = { from, nonce, gasLimit, gasPrice: GAS_PRICE, to, amount };
  return app.prepareTx(
    app.registry.encodeTx(signTransaction(app.registry, CHAIN_ID, 'Transfer', message, key)),
  );
}

test('transfers move OPEN, pay exactly gasUsed × gasPrice, and conserve supply', async () => {
  const { app, state, block, balance } = await setup();
  const b = block();
  const result = await app.applyBlock(state, b, [transfer(app, KEYS[0]!, 0n, carol, 5n * OPEN)], 'verify');
  state.apply(result.writes);
  const [receipt] = result.receipts;
  assert.equal(receipt?.status, 'ok');
  const fee = receipt!.gasUsed * GAS_PRICE;
  assert.ok(receipt!.gasUsed > 10_000n && receipt!.gasUsed < 100_000n);
  assert.equal((await balance(carol)).balance, 5n * OPEN);
  assert.equal((await balance(alice)).balance, 995n * OPEN - fee);
  assert.equal((await balance(FEE_COLLECTOR)).balance, fee);
  assert.deepEqual(await app.checkInvariants(state, b), []);
  assert.deepEqual(receipt!.events[0], {
    type: 'bank.transfer',
    attributes: [
      ['from', alice],
      ['to', carol],
      ['amount', (5n * OPEN).toString()],
    ],
  });
});

test('a failing included transaction pays its gas, advances the nonce, and changes nothing else', async () => {
  const { app, state, block, balance } = await setup();
  const before = (await balance(bob)).balance;
  const result = await app.applyBlock(
    state,
    block(),
    [transfer(app, KEYS[1]!, 0n, carol, 50n * OPEN)],
    'verify',
  );
  state.apply(result.writes);
  const [receipt] = result.receipts;
  assert.equal(receipt?.status, 'failed');
  assert.equal(receipt?.code, 'INSUFFICIENT_FUNDS');
  assert.match(receipt!.error!, /has 9\.99\d* OPEN, needs 50 OPEN/);
  assert.equal((await balance(bob)).balance, before - receipt!.gasUsed * GAS_PRICE);
  assert.equal((await balance(carol)).balance, 0n);
  assert.deepEqual(receipt!.events, []);
  const nonce = (await app.query({ state, height: 2 }, 'auth.nonce', { address: bob })) as { nonce: bigint };
  assert.equal(nonce.nonce, 1n);
});

test('out of gas inside the handler charges the whole limit and rolls the message back', async () => {
  const { app, state, block, balance } = await setup();
  const p = transfer(app, KEYS[0]!, 0n, carol, OPEN, 0n);
  const intrinsic = app.intrinsicGas(p);
  const tight = transfer(app, KEYS[0]!, 0n, carol, OPEN, intrinsic + 100n);
  const result = await app.applyBlock(state, block(), [tight], 'verify');
  state.apply(result.writes);
  assert.equal(result.receipts[0]?.code, 'OUT_OF_GAS');
  assert.equal(result.receipts[0]?.gasUsed, tight.tx.message.gasLimit);
  assert.equal((await balance(carol)).balance, 0n);
});

test('invalid transactions are left out when building and make a block invalid when verifying', async () => {
  const { app, state, block } = await setup();
  const replay = transfer(app, KEYS[0]!, 0n, carol, OPEN);
  const gap = transfer(app, KEYS[0]!, 5n, carol, OPEN);
  const poor = transfer(app, KEYS[2]!, 0n, alice, 1n); // carol has no OPEN for gas (yet)
  const ok = transfer(app, KEYS[0]!, 0n, carol, OPEN);
  const result = await app.applyBlock(state, block(), [poor, ok, replay, gap], 'build');
  assert.equal(result.included.length, 1);
  assert.deepEqual(
    result.rejected.map((r) => r.code),
    ['INSUFFICIENT_FUNDS', 'NONCE_TOO_LOW', 'NONCE_GAP'],
  );
  await assert.rejects(app.applyBlock(state, block(), [ok, replay], 'verify'), /invalid transaction/);
});

test('a transaction signed by viem signTypedData is accepted', async () => {
  const { app, state, block, balance } = await setup();
  const account = privateKeyToAccount(KEYS[1]!);
  const message = { from: bob, nonce: 0n, gasLimit: 100_000n, gasPrice: GAS_PRICE, to: carol, amount: OPEN };
  const signature = await account.signTypedData({
    domain: { name: 'OpenLedger', version: '1', chainId: CHAIN_ID },
    types: app.registry.typesOf('Transfer') as Record<string, { name: string; type: string }[]>,
    primaryType: 'Transfer',
    message,
  });
  const bytes = app.registry.encodeTx({ chainId: CHAIN_ID, kind: 'Transfer', message, signature });
  const result = await app.applyBlock(state, block(), [app.prepareTx(bytes)], 'verify');
  state.apply(result.writes);
  assert.equal(result.receipts[0]?.status, 'ok');
  assert.equal((await balance(carol)).balance, OPEN);
});

test('wrong chain, wrong signer and governance-only messages are refused', async () => {
  const { app, state, block } = await setup();
  const message: TxMessage = {
    from: alice,
    nonce: 0n,
    gasLimit: 100_000n,
    gasPrice: GAS_PRICE,
    to: carol,
    amount: 1n,
  };
  const other = signTransaction(app.registry, 1n, 'Transfer', message, KEYS[0]!);
  const wrongChain = app.prepareTx(app.registry.encodeTx(other));
  const forged = signTransaction(app.registry, CHAIN_ID, 'Transfer', message, KEYS[1]!);
  const wrongSigner = app.prepareTx(app.registry.encodeTx(forged));
  const result = await app.applyBlock(state, block(), [wrongChain, wrongSigner], 'build');
  assert.deepEqual(
    result.rejected.map((r) => r.code),
    ['WRONG_CHAIN', 'WRONG_SIGNER'],
  );

  const setParams = signTransaction(
    app.registry,
    CHAIN_ID,
    'SetParams',
    {
      from: alice,
      nonce: 0n,
      gasLimit: 200_000n,
      gasPrice: GAS_PRICE,
      changes: [{ module: 'auth', name: 'minGasPrice', value: 0n }],
    },
    KEYS[0]!,
  );
  const r2 = await app.applyBlock(
    state,
    block(),
    [app.prepareTx(app.registry.encodeTx(setParams))],
    'verify',
  );
  assert.equal(r2.receipts[0]?.code, 'UNAUTHORIZED');
  assert.notEqual(GOVERNANCE, alice);
});

test('decoding refuses malformed transactions with a clear error', () => {
  const app = new App();
  const good = app.registry.encodeTx(
    signTransaction(
      app.registry,
      CHAIN_ID,
      'Transfer',
      { from: alice, nonce: 0n, gasLimit: 1n, gasPrice: 1n, to: bob, amount: 1n },
      KEYS[0]!,
    ),
  );
  assert.throws(() => app.prepareTx(good.subarray(0, good.length - 1)), /not canonically encoded/);
  const bad = fromHex(toHex(good));
  bad[bad.length - 33] = 0xff; // the first byte of s: now s > n/2
  assert.throws(
    () => app.prepareTx(bad),
    (e: unknown) => (e as { code?: string }).code === 'HIGH_S_SIGNATURE',
  );
});
