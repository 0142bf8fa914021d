import assert from 'node:assert/strict';
import { type Address, type Hex, OPEN, privateKeyToAddress, toHexRaw } from '@openledger/core';
import type { App, BlockResult, PreparedTx } from '../app.js';
import type { TxReceipt } from '../block.js';
import { type BlockInfo, Ctx } from '../context.js';
import { InfiniteGasMeter } from '../gas.js';
import type { GenesisAccount, GenesisConfig } from '../module.js';
import { MemoryState } from '../state/overlay.js';
import { signTransaction } from '../tx.js';
import { nonceKey } from './auth/keeper.js';
import { balanceKey, FEE_COLLECTOR } from './bank/keeper.js';
import { DISTRIBUTION, distributionKey } from './distribution/keeper.js';
import { createApp } from './index.js';

/** Well-known development keys (the Hardhat/Anvil mnemonic); never hold value with them. */
export const TEST_KEYS: Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a8eb0da27be5e8b6dd19c2b5bc42e8d6f0c8ea3d',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
];
export const TEST_ADDRESSES: Address[] = TEST_KEYS.map((k) => privateKeyToAddress(k));
export const CHAIN_ID = 1337n;
export const GAS_PRICE = 1_000_000_000n;
export const GENESIS_TIME = 1_700_000_000n;

export type TestChainOptions = {
  balances?: bigint[];
  extraAccounts?: GenesisAccount[];
  params?: Record<string, bigint>;
  modules?: Record<string, unknown>;
};

/**
 * An in-process chain for module tests: the full app over MemoryState, blocks one second apart by
 * default, transactions signed with the test keys and nonces tracked from state.
 */
export class TestChain {
  readonly app: App = createApp();
  readonly state = new MemoryState();
  height = 1;
  time = GENESIS_TIME;
  private readonly nonces = new Map<Address, bigint>();

  static async create(options: TestChainOptions = {}): Promise<TestChain> {
    const chain = new TestChain();
    const genesis: GenesisConfig = {
      chainId: CHAIN_ID,
      genesisTime: GENESIS_TIME,
      sequencer: TEST_ADDRESSES[0]!,
      accounts: [
        ...TEST_ADDRESSES.map((address, i) => ({
          address,
          balance: options.balances?.[i] ?? 1_000_000n * OPEN,
        })),
        ...(options.extraAccounts ?? []),
      ],
      params: options.params ?? {},
      modules: options.modules ?? {},
    };
    const { writes } = await chain.app.genesis(chain.state, genesis);
    chain.state.apply(writes);
    return chain;
  }

  /** The next block's info, `dt` seconds after the last one. */
  nextBlock(dt = 1n): BlockInfo {
    return { chainId: CHAIN_ID, height: this.height + 1, time: this.time + dt, proposer: TEST_ADDRESSES[0]! };
  }

  /** Signs a transaction of `kind` from test account `who` (index or key) with the next nonce. */
  async tx(
    who: number,
    kind: string,
    fields: Record<string, unknown>,
    gasLimit = 2_000_000n,
  ): Promise<PreparedTx> {
    const key = TEST_KEYS[who]!;
    const from = TEST_ADDRESSES[who]!;
    let nonce = this.nonces.get(from);
    if (nonce === undefined)
      nonce = ((await this.query('auth.nonce', { address: from })) as { nonce: bigint }).nonce;
    this.nonces.set(from, nonce + 1n);
    const signed = signTransaction(
      this.app.registry,
      CHAIN_ID,
      kind,
      { ...fields, from, nonce, gasLimit, gasPrice: GAS_PRICE },
      key,
    );
    return this.app.prepareTx(this.app.registry.encodeTx(signed));
  }

  /** Drops the locally tracked nonces (after building a transaction that will not be sent). */
  forgetNonces(): void {
    this.nonces.clear();
  }

  /** Applies a block of `txs` (`dt` seconds after the last) and commits it. */
  async block(txs: PreparedTx[] = [], dt = 1n): Promise<BlockResult> {
    const info = this.nextBlock(dt);
    const result = await this.app.applyBlock(this.state, info, txs, 'build');
    this.state.apply(result.writes);
    this.height = info.height;
    this.time = info.time;
    this.nonces.clear();
    if (result.rejected.length) {
      throw new Error(`rejected: ${result.rejected.map((r) => `${r.code} ${r.error}`).join('; ')}`);
    }
    return result;
  }

  /** One transaction in its own block; returns its receipt. */
  async send(who: number, kind: string, fields: Record<string, unknown>, dt = 1n): Promise<TxReceipt> {
    const result = await this.block([await this.tx(who, kind, fields)], dt);
    return result.receipts[0]!;
  }

  /** Advances blocks (empty) until block time reaches `time`. */
  async advanceTo(time: bigint): Promise<void> {
    if (time > this.time) await this.block([], time - this.time);
  }

  // biome-ignore lint/suspicious/noExplicitAny: tests read query answers field by field
  query(path: string, args: Record<string, unknown> = {}): Promise<any> {
    return this.app.query({ state: this.state, height: this.height }, path, args);
  }

  async balance(address: Address): Promise<bigint> {
    return ((await this.query('bank.balance', { address })) as { balance: bigint }).balance;
  }

  async supply(): Promise<bigint> {
    return ((await this.query('bank.supply')) as { supply: bigint }).supply;
  }

  invariants(): Promise<string[]> {
    return this.app.checkInvariants(this.state, this.nextBlock(0n));
  }

  /** Runs `fn` with a system context at the current state and commits its writes (keeper calls). */
  async withContext<T>(fn: (ctx: Ctx) => Promise<T>, time = this.time): Promise<T> {
    const block = { ...this.nextBlock(0n), height: this.height, time };
    const ctx = new Ctx(this.state, new InfiniteGasMeter(), block, TEST_ADDRESSES[0]!, this.app.keepers);
    const out = await fn(ctx);
    this.state.apply(ctx.state.writes);
    return out;
  }

  /** Every key/value as hex, for comparing states. */
  snapshot(): Map<string, string> {
    return new Map([...this.state.data].map(([k, v]) => [k, toHexRaw(v)]));
  }

  /**
   * Includes a transaction that must fail with `code`, and checks DESIGN §3's rule: it pays its gas
   * and advances its nonce, and nothing else changes — the block's writes differ from those of the
   * same block without it only in the sender's balance and nonce and the fee path (fee collector,
   * distribution). Commits the block and returns the receipt.
   */
  async refused(
    who: number,
    kind: string,
    fields: Record<string, unknown>,
    code: string,
  ): Promise<TxReceipt> {
    const tx = await this.tx(who, kind, fields);
    const info = this.nextBlock();
    const withTx = await this.app.applyBlock(this.state, info, [tx], 'build');
    const without = await this.app.applyBlock(this.state, info, [], 'build');
    const receipt = withTx.receipts[0];
    assert.ok(receipt, `${kind} was not included: ${withTx.rejected.map((r) => r.error).join('; ')}`);
    assert.equal(receipt.status, 'failed', `${kind} should have failed with ${code}`);
    assert.equal(receipt.code, code, `${kind}: expected ${code}, got ${receipt.code}: ${receipt.error}`);
    assert.deepEqual(receipt.events, []);
    const sender = TEST_ADDRESSES[who]!;
    const allowed = new Set(
      [balanceKey(sender), nonceKey(sender), balanceKey(FEE_COLLECTOR), balanceKey(DISTRIBUTION)].map(
        toHexRaw,
      ),
    );
    const feePath = toHexRaw(distributionKey());
    const value = (writes: Map<string, Uint8Array | null>, key: string) => {
      const v = writes.has(key) ? writes.get(key) : this.state.data.get(key);
      return v ? toHexRaw(v) : undefined;
    };
    for (const key of new Set([...withTx.writes.keys(), ...without.writes.keys()])) {
      if (allowed.has(key) || key.startsWith(feePath)) continue;
      assert.equal(value(withTx.writes, key), value(without.writes, key), `${kind} changed state key ${key}`);
    }
    const before = await this.balance(sender);
    const nonceBefore = ((await this.query('auth.nonce', { address: sender })) as { nonce: bigint }).nonce;
    this.state.apply(withTx.writes);
    this.height = info.height;
    this.time = info.time;
    this.nonces.clear();
    assert.equal(await this.balance(sender), before - receipt.gasUsed * GAS_PRICE, 'pays exactly its gas');
    assert.equal(
      ((await this.query('auth.nonce', { address: sender })) as { nonce: bigint }).nonce,
      nonceBefore + 1n,
    );
    return receipt;
  }
}
