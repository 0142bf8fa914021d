import { rowsRoot, splitRowBytes } from '@openledger/attribution/rules';
import {
  type Address,
  type Hex,
  keccak256,
  OPEN,
  privateKeyToAddress,
  sha256,
  toHex,
  utf8,
} from '@openledger/core';
import { App, GOVERNANCE, type PreparedTx } from '../../app.js';
import type { TxReceipt } from '../../block.js';
import { type BlockInfo, Ctx } from '../../context.js';
import type { ChainEvent } from '../../events.js';
import { InfiniteGasMeter } from '../../gas.js';
import type { GenesisConfig } from '../../module.js';
import { MemoryState } from '../../state/overlay.js';
import { signTransaction, type TxMessage } from '../../tx.js';
import { TREASURY } from '../bank/keeper.js';
import { chainModules } from '../index.js';

/**
 * An in-process chain for module tests: App + MemoryState, one block per call, deterministic keys and
 * clock. Not part of the public API.
 */
export const CHAIN_ID = 1337n;
export const GENESIS_TIME = 1_700_000_000n;
export const GAS_PRICE = 1_000_000_000n;

/** Deterministic test keys: keccak256("openledger test key <i>"). */
export const KEYS: Hex[] = Array.from({ length: 12 }, (_, i) =>
  toHex(keccak256(utf8(`openledger test key ${i}`))),
);
export const ADDRS: Address[] = KEYS.map((k) => privateKeyToAddress(k));

export type TestChain = Awaited<ReturnType<typeof testChain>>;

export async function testChain(
  opts: { params?: Record<string, bigint>; balance?: bigint; treasury?: bigint } = {},
) {
  const app = new App(chainModules);
  const state = new MemoryState();
  const genesis: GenesisConfig = {
    chainId: CHAIN_ID,
    genesisTime: GENESIS_TIME,
    sequencer: ADDRS[0]!,
    accounts: [
      ...ADDRS.map((address) => ({ address, balance: opts.balance ?? 1_000_000n * OPEN })),
      { address: TREASURY, balance: opts.treasury ?? 1_000_000n * OPEN },
    ],
    params: opts.params ?? {},
  };
  const g = await app.genesis(state, genesis);
  state.apply(g.writes);
  let height = 1;
  let time = GENESIS_TIME;
  const nonces = new Map<string, bigint>();

  const nextBlock = (seconds = 1n): BlockInfo => {
    time += seconds;
    return { chainId: CHAIN_ID, height: ++height, time, proposer: ADDRS[0]! };
  };

  const prepare = (
    key: Hex,
    kind: string,
    fields: Record<string, unknown>,
    gasLimit = 20_000_000n,
  ): PreparedTx => {
    const from = privateKeyToAddress(key);
    const nonce = nonces.get(from) ?? 0n;
    nonces.set(from, nonce + 1n);
    const message = { ...fields, from, nonce, gasLimit, gasPrice: GAS_PRICE } as TxMessage;
    return app.prepareTx(app.registry.encodeTx(signTransaction(app.registry, CHAIN_ID, kind, message, key)));
  };

  /** Applies one block with the given transactions (verify mode: all must pass checkTx). */
  const block = async (txs: PreparedTx[], seconds = 1n) => {
    const result = await app.applyBlock(state, nextBlock(seconds), txs, 'verify');
    state.apply(result.writes);
    return result;
  };

  const chain = {
    app,
    state,
    get height() {
      return height;
    },
    get time() {
      return time;
    },
    prepare,
    block,
    /** Sends one transaction in its own block and returns its receipt. */
    async send(
      key: Hex,
      kind: string,
      fields: Record<string, unknown>,
      gasLimit?: bigint,
    ): Promise<TxReceipt> {
      const result = await block([prepare(key, kind, fields, gasLimit)]);
      return result.receipts[0]!;
    },
    /** As send, but throws when the transaction failed (with its code). */
    async ok(key: Hex, kind: string, fields: Record<string, unknown>, gasLimit?: bigint): Promise<TxReceipt> {
      const r = await chain.send(key, kind, fields, gasLimit);
      if (r.status !== 'ok') throw new Error(`${kind} failed: ${r.code} ${r.error}`);
      return r;
    },
    /** Runs a message as governance (what an executed proposal does), in its own block. */
    async gov(kind: string, fields: Record<string, unknown>): Promise<ChainEvent[]> {
      const info = nextBlock();
      const ctx = new Ctx(state, new InfiniteGasMeter(), info, GOVERNANCE, app.keepers);
      await app.keepers.router.dispatch(ctx, kind, app.registry.normalize(kind, fields, false));
      state.apply(ctx.state.writes);
      return ctx.events;
    },
    /** Lets block time pass (an empty block, so begin/end hooks run). */
    async advance(seconds: bigint) {
      return block([], seconds);
    },
    query: (path: string, args: Record<string, unknown> = {}) => app.query({ state, height }, path, args),
    async balance(address: Address): Promise<bigint> {
      return ((await chain.query('bank.balance', { address })) as { balance: bigint }).balance;
    },
    async supply(): Promise<bigint> {
      return ((await chain.query('bank.supply')) as { supply: bigint }).supply;
    },
    invariants: () => app.checkInvariants(state, { chainId: CHAIN_ID, height, time, proposer: ADDRS[0]! }),
  };
  return chain;
}

/** What a contribution transaction carries for a text file (the *fixed* row rule of attribution/rules). */
export function contributionOf(text: string): {
  bytes: Uint8Array;
  blobHash: Hex;
  size: bigint;
  rowCount: bigint;
  rowsRoot: Hex;
} {
  const bytes = utf8(text);
  const rows = splitRowBytes(bytes);
  return {
    bytes,
    blobHash: toHex(sha256(bytes)),
    size: BigInt(bytes.length),
    rowCount: BigInt(rows.length),
    rowsRoot: toHex(rowsRoot(rows)),
  };
}

/** The id that the first event of `type` carries in `attribute`. */
export function eventAttr(receipt: { events: ChainEvent[] }, type: string, attribute: string): string {
  const e = receipt.events.find((x) => x.type === type);
  const v = e?.attributes.find(([k]) => k === attribute)?.[1];
  if (v === undefined)
    throw new Error(`no ${type}.${attribute} in ${JSON.stringify(receipt.events.map((x) => x.type))}`);
  return v;
}

export const DEFAULT_DATANET = {
  name: 'Test Datanet',
  summary: 'rows for tests',
  description: '# Test\nrows',
  tags: ['test'],
  visibility: 'public',
  license: 'CC-BY-4.0',
  curators: [] as Address[],
  trainingFee: 0n,
  contributorBond: 0n,
  allowList: [] as Address[],
};
