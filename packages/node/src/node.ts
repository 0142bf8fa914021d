import { EventEmitter } from 'node:events';
import {
  type App,
  type BlockInfo,
  ChainError,
  type ChainEvent,
  Ctx,
  createApp,
  type GenesisConfig,
  genesisHeader,
  headerHash,
  InfiniteGasMeter,
  type PreparedTx,
  type SignedHeader,
  type SignedTx,
  SYSTEM,
  signHeader,
  type TxReceipt,
  verifyHeaderSignature,
} from '@openledger/chain';
import {
  type Address,
  BaseError,
  fromHex,
  fromUtf8,
  type Hex,
  privateKeyToAddress,
  toHex,
  utf8,
} from '@openledger/core';
import { StateStore } from '@openledger/store';
import { genesisFromJson, genesisToJson } from './genesis-file.js';
import { Mempool, type MempoolOptions } from './mempool.js';
import { nativeRecoverAddress } from './native-secp.js';
import {
  decodeBlock,
  decodeEvents,
  decodeLocation,
  decodeReceipt,
  encodeBlock,
  encodeEvents,
  encodeLocation,
  encodeReceipt,
  RECORD,
  type StoredBlock,
} from './records.js';
import { RecoveryPool } from './recovery-pool.js';

export type NodeOptions = {
  /** Directory of the node's database; omitted = in memory. */
  dataDir?: string;
  /** Required on first start; afterwards the stored genesis is used (and must match if given). */
  genesis?: GenesisConfig;
  /** The sequencer's private key: this node produces blocks. Omit for a follower. */
  sequencerKey?: Hex;
  mempool?: MempoolOptions;
  /** Most transactions per block. */
  maxBlockTxs?: number;
  /** Clock for block times (unix seconds); injectable for tests. */
  now?: () => bigint;
  /** Build the app (default: createApp with native signer recovery). */
  app?: App;
  /**
   * Parallel signer recovery on worker threads for blocks to import and bursts of submitted
   * transactions: a pool (shared, closed by its owner), false for none, or options for the node's own
   * pool (default: one worker per core, started on first use).
   */
  recovery?: RecoveryPool | false | { threads?: number; minBatch?: number };
};

export type BlockCommitted = {
  header: SignedHeader;
  receipts: TxReceipt[];
  blockEvents: ChainEvent[];
};

/** A block whose transactions are decoded and their signers recovered (`Node.prepareBlock`). */
export class PreparedBlock {
  /** @internal */
  constructor(
    readonly block: StoredBlock,
    readonly txs: ReadonlyArray<PreparedTx | ChainError>,
  ) {}
}

/** Checks run by the mempool before a transaction is accepted (e.g. "its blob is in the blob store"). */
export type MempoolCheck = (p: PreparedTx) => Promise<void>;

/**
 * A node: the chain's state in a store, blocks and indexes beside it, a mempool, and — when it holds
 * the sequencer key — block production. Every block commits state, block, receipts and indexes in
 * one atomic batch (DESIGN §3 Storage), so a crash leaves it at the last committed block.
 */
export class Node extends EventEmitter<{ block: [BlockCommitted]; syncError: [Error] }> {
  readonly mempool: Mempool;
  readonly sequencer: Address;
  private head!: SignedHeader;
  private producing: Promise<unknown> = Promise.resolve();
  private readonly checks: MempoolCheck[] = [];
  private readonly now: () => bigint;
  private readonly maxBlockTxs: number;
  private readonly pool: RecoveryPool | undefined;
  private readonly ownPool: boolean;
  private readonly poolMinBatch: number;
  /** The app is createApp()'s: the pool's workers can decode and hash too, not only recover. */
  private readonly defaultApp: boolean;
  private submitQueue: Array<{ bytes: Uint8Array; done: (p: PreparedTx | ChainError) => void }> = [];

  private constructor(
    readonly app: App,
    readonly store: StateStore,
    readonly genesis: GenesisConfig,
    private readonly sequencerKey: Hex | undefined,
    opts: NodeOptions,
  ) {
    super();
    this.mempool = new Mempool(opts.mempool);
    this.sequencer = genesis.sequencer;
    this.now = opts.now ?? (() => BigInt(Math.floor(Date.now() / 1000)));
    this.maxBlockTxs = opts.maxBlockTxs ?? 5_000;
    this.defaultApp = opts.app === undefined;
    const r = opts.recovery;
    this.pool = r === false ? undefined : r instanceof RecoveryPool ? r : new RecoveryPool(r ?? {});
    this.ownPool = r !== false && !(r instanceof RecoveryPool);
    this.poolMinBatch = (r && !(r instanceof RecoveryPool) ? r.minBatch : undefined) ?? 32;
  }

  static async open(opts: NodeOptions): Promise<Node> {
    const app = opts.app ?? createApp({ recoverSigner: nativeRecoverAddress });
    const store = opts.dataDir ? await StateStore.open(opts.dataDir) : await StateStore.memory();
    try {
      const storedGenesis = await store.getRecord(RECORD.genesis);
      let genesis: GenesisConfig;
      if (storedGenesis) {
        genesis = genesisFromJson(fromUtf8(storedGenesis));
        // compare normalised forms: a genesis without params/modules equals its stored round trip
        const given = opts.genesis && genesisToJson(genesisFromJson(genesisToJson(opts.genesis)));
        if (given !== undefined && given !== genesisToJson(genesis)) {
          throw new BaseError('GENESIS_MISMATCH', 'the data directory holds a chain with another genesis', {
            metaMessages: ['Use another --data-dir, or delete this one to start a fresh chain.'],
          });
        }
      } else if (opts.genesis) {
        genesis = opts.genesis;
      } else {
        throw new BaseError('NO_GENESIS', 'an empty data directory needs a genesis to start a chain');
      }
      if (opts.sequencerKey && privateKeyToAddress(opts.sequencerKey) !== genesis.sequencer) {
        throw new BaseError(
          'WRONG_SEQUENCER_KEY',
          `the sequencer key is not the genesis sequencer ${genesis.sequencer}`,
        );
      }
      const node = new Node(app, store, genesis, opts.sequencerKey, opts);
      if (store.height === 0) await node.commitGenesis();
      node.head = (await node.getBlock(store.height))!.header;
      return node;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  get height(): number {
    return this.head.height;
  }

  get latestHeader(): SignedHeader {
    return this.head;
  }

  get chainId(): bigint {
    return this.genesis.chainId;
  }

  addMempoolCheck(check: MempoolCheck): void {
    this.checks.push(check);
  }

  /** The genesis state and block 1 (signed by the sequencer, or trusted from the genesis file by a follower). */
  private async genesisBlock(): Promise<{
    header: SignedHeader;
    prepared: Awaited<ReturnType<StateStore['prepare']>>;
  }> {
    const { writes } = await this.app.genesis(this.store.latest(), this.genesis);
    const prepared = await this.store.prepare(writes);
    const unsigned = genesisHeader(this.genesis, toHex(prepared.root));
    const header = this.sequencerKey
      ? signHeader(unsigned, this.sequencerKey)
      : { ...unsigned, hash: headerHash(unsigned), signature: toHex(new Uint8Array(65)) };
    return { header, prepared };
  }

  private async commitGenesis(): Promise<void> {
    const { header, prepared } = await this.genesisBlock();
    await prepared.commit({
      puts: [
        [RECORD.genesis, utf8(genesisToJson(this.genesis))],
        [RECORD.block(1), encodeBlock({ header, txs: [] })],
        [RECORD.blockByHash(header.hash), encodeLocation(1, 0)],
      ],
    });
  }

  /** A context over committed state for checks and queries (no gas). */
  private readCtx(): Ctx {
    const block: BlockInfo = {
      chainId: this.chainId,
      height: this.height + 1,
      time: this.head.time,
      proposer: this.sequencer,
    };
    return new Ctx(this.store.latest(), new InfiniteGasMeter(), block, SYSTEM, this.app.keepers);
  }

  async nonceOf(address: Address): Promise<bigint> {
    return this.app.keepers.auth.nonce(this.readCtx(), address);
  }

  /** Decodes, checks and queues a wire transaction; returns its hash. Bad input changes nothing. */
  async submit(bytes: Uint8Array): Promise<Hex> {
    const prepared = await this.prepareForSubmit(bytes);
    if (prepared instanceof ChainError) throw prepared;
    const p = prepared;
    if (this.mempool.has(p.hash))
      throw new ChainError('ALREADY_KNOWN', `transaction ${p.hash} is already pending`);
    if (await this.store.getRecord(RECORD.tx(p.hash))) {
      throw new ChainError('ALREADY_INCLUDED', `transaction ${p.hash} is already in a block`);
    }
    const ctx = this.readCtx();
    await this.app.checkTx(ctx, p, { allowFutureNonce: true });
    for (const check of this.checks) await check(p);
    this.mempool.add(p, await this.app.keepers.auth.nonce(ctx, p.sender));
    return p.hash;
  }

  /**
   * Decodes and recovers a submitted transaction. Submissions arriving in the same turn of the event
   * loop are gathered; a burst of at least `minBatch` goes to the recovery pool, fewer run inline.
   */
  private prepareForSubmit(bytes: Uint8Array): Promise<PreparedTx | ChainError> {
    if (!this.pool) return Promise.resolve(this.prepareInline(bytes));
    return new Promise((done) => {
      this.submitQueue.push({ bytes, done });
      if (this.submitQueue.length === 1) setImmediate(() => void this.flushSubmits());
    });
  }

  private async flushSubmits(): Promise<void> {
    const batch = this.submitQueue;
    this.submitQueue = [];
    if (batch.length < this.poolMinBatch) {
      for (const b of batch) b.done(this.prepareInline(b.bytes));
      return;
    }
    let results: Array<PreparedTx | ChainError>;
    try {
      results = await this.prepareMany(batch.map((b) => b.bytes));
    } catch {
      results = batch.map((b) => this.prepareInline(b.bytes)); // pool unavailable: inline
    }
    for (const [i, b] of batch.entries()) b.done(results[i]!);
  }

  private prepareInline(bytes: Uint8Array, recovered?: Address): PreparedTx | ChainError {
    try {
      return this.app.prepareTx(bytes, recovered);
    } catch (e) {
      if (e instanceof ChainError) return e;
      if (e instanceof BaseError) return new ChainError(e.code, e.shortMessage);
      throw e;
    }
  }

  /**
   * `app.prepareTx` for many transactions: on the pool's workers when there are enough of them
   * (decode, hash and recover there for the default app; only recovery otherwise), else inline.
   */
  async prepareMany(txs: Uint8Array[]): Promise<Array<PreparedTx | ChainError>> {
    if (!this.pool || txs.length < this.poolMinBatch) return txs.map((b) => this.prepareInline(b));
    if (this.defaultApp) return this.pool.prepare(txs);
    const decoded: Array<{ tx: SignedTx; digest: Uint8Array } | ChainError> = txs.map((bytes) => {
      try {
        const tx = this.app.registry.decodeTx(bytes);
        return { tx, digest: this.app.registry.digest(tx.chainId, tx.kind, tx.message) };
      } catch (e) {
        return e instanceof BaseError
          ? new ChainError(e.code, e.shortMessage)
          : new ChainError('INVALID_TX', String(e));
      }
    });
    const ok = decoded.flatMap((d, i) => (d instanceof ChainError ? [] : [i]));
    const senders = await this.pool.recover(
      ok.map((i) => (decoded[i] as { digest: Uint8Array }).digest),
      ok.map((i) => fromHex((decoded[i] as { tx: SignedTx }).tx.signature)),
    );
    const out: Array<PreparedTx | ChainError> = decoded.map((d) => d as ChainError);
    ok.forEach((i, k) => {
      const s = senders[k]!;
      const { tx, digest } = decoded[i] as { tx: SignedTx; digest: Uint8Array };
      out[i] = s instanceof ChainError ? s : { tx, bytes: txs[i]!, hash: toHex(digest), sender: s };
    });
    return out;
  }

  /** Runs a transaction on the latest state without keeping anything: gas used and outcome. */
  async simulate(bytes: Uint8Array): Promise<TxReceipt> {
    const p = this.app.prepareTx(bytes);
    const block: BlockInfo = {
      chainId: this.chainId,
      height: this.height + 1,
      time: this.now(),
      proposer: this.sequencer,
    };
    return this.app.simulate(this.store.latest(), block, p);
  }

  /** Produces one block from the mempool (sequencer only). Serialised: one block at a time. */
  produceBlock(): Promise<BlockCommitted> {
    const run = this.producing.then(() => this.doProduceBlock());
    this.producing = run.catch(() => undefined);
    return run;
  }

  private async doProduceBlock(): Promise<BlockCommitted> {
    if (!this.sequencerKey)
      throw new BaseError('NOT_SEQUENCER', 'this node follows; it does not produce blocks');
    const nonceOf = (a: Address) => this.nonceOf(a);
    const txs = await this.mempool.select(this.maxBlockTxs, nonceOf);
    const parent = this.head;
    const now = this.now();
    const block: BlockInfo = {
      chainId: this.chainId,
      height: parent.height + 1,
      time: now > parent.time ? now : parent.time,
      proposer: this.sequencer,
    };
    const result = await this.app.applyBlock(this.store.latest(), block, txs, 'build');
    const prepared = await this.store.prepare(result.writes);
    const header = signHeader(
      {
        chainId: block.chainId,
        height: block.height,
        time: block.time,
        parentHash: parent.hash,
        txRoot: result.txRoot,
        resultsRoot: result.resultsRoot,
        stateRoot: toHex(prepared.root),
        proposer: this.sequencer,
      },
      this.sequencerKey,
    );
    await this.commitBlock(
      prepared,
      { header, txs: result.included.map((p) => p.bytes) },
      result.receipts,
      result.blockEvents,
    );
    for (const r of result.rejected) this.mempool.remove(r.hash);
    for (const p of result.included) this.mempool.remove(p.hash);
    await this.mempool.prune(new Set(txs.map((t) => t.sender)), nonceOf);
    const committed = { header, receipts: result.receipts, blockEvents: result.blockEvents };
    this.emit('block', committed);
    return committed;
  }

  private async commitBlock(
    prepared: Awaited<ReturnType<StateStore['prepare']>>,
    block: StoredBlock,
    receipts: TxReceipt[],
    blockEvents: ChainEvent[],
  ): Promise<void> {
    const { header } = block;
    const puts: Array<[Uint8Array, Uint8Array]> = [
      [RECORD.block(header.height), encodeBlock(block)],
      [RECORD.blockByHash(header.hash), encodeLocation(header.height, 0)],
      [RECORD.blockEvents(header.height), encodeEvents(blockEvents)],
    ];
    for (const r of receipts) {
      puts.push([RECORD.tx(r.txHash), encodeLocation(r.height, r.index)]);
      puts.push([RECORD.receipt(r.txHash), encodeReceipt(r)]);
      puts.push([RECORD.senderTx(r.from, r.height, r.index), fromHex(r.txHash)]);
    }
    await prepared.commit({ puts });
    this.head = header;
  }

  /**
   * Follower: checks a block from the sequencer — signature by the genesis sequencer, parent, height,
   * time — re-executes it and checks its transaction, result and state roots, then commits it.
   * A block that fails any check is refused with the reason, and nothing is written.
   */
  async importBlock(block: StoredBlock | PreparedBlock, recovered?: Address[]): Promise<BlockCommitted> {
    const run = this.producing.then(() => this.doImportBlock(block, recovered));
    this.producing = run.catch(() => undefined);
    return run;
  }

  /**
   * Decodes, hashes and recovers a block's transactions ahead of `importBlock` (on the recovery
   * pool when the block is big enough), so that a follower prepares block n+1 while block n executes.
   * Nothing is checked against state here; `importBlock(prepared)` does every check.
   */
  async prepareBlock(block: StoredBlock): Promise<PreparedBlock> {
    return new PreparedBlock(block, await this.prepareMany(block.txs));
  }

  private async doImportBlock(
    input: StoredBlock | PreparedBlock,
    recovered?: Address[],
  ): Promise<BlockCommitted> {
    const block = input instanceof PreparedBlock ? input.block : input;
    const { header } = block;
    const parent = this.head;
    const fail = (why: string): never => {
      throw new ChainError('INVALID_BLOCK', `refused block ${header.height} (${header.hash}): ${why}`);
    };
    verifyHeaderSignature(header, this.sequencer);
    if (header.height !== parent.height + 1) fail(`expected height ${parent.height + 1}`);
    if (header.parentHash !== parent.hash)
      fail(`parent hash ${header.parentHash} is not our head ${parent.hash}`);
    if (header.chainId !== this.chainId) fail(`chain id ${header.chainId}`);
    if (header.time < parent.time) fail('time goes backwards');
    const preparedTxs =
      input instanceof PreparedBlock
        ? input.txs
        : recovered
          ? block.txs.map((bytes, i) => this.prepareInline(bytes, recovered[i]))
          : await this.prepareMany(block.txs);
    const txs: PreparedTx[] = [];
    for (const [i, p] of preparedTxs.entries()) {
      if (p instanceof ChainError) fail(`transaction ${i} is invalid: ${p.shortMessage} (${p.code})`);
      txs.push(p as PreparedTx);
    }
    const info: BlockInfo = {
      chainId: header.chainId,
      height: header.height,
      time: header.time,
      proposer: header.proposer,
    };
    const result = await this.app.applyBlock(this.store.latest(), info, txs, 'verify');
    if (result.txRoot !== header.txRoot) fail(`transaction root ${result.txRoot} differs`);
    if (result.resultsRoot !== header.resultsRoot)
      fail(`results root ${result.resultsRoot} differs (re-execution disagrees)`);
    const prepared = await this.store.prepare(result.writes);
    if (toHex(prepared.root) !== header.stateRoot) {
      fail(`state root after re-execution is ${toHex(prepared.root)}, the block says ${header.stateRoot}`);
    }
    await this.commitBlock(prepared, block, result.receipts, result.blockEvents);
    const committed = { header, receipts: result.receipts, blockEvents: result.blockEvents };
    this.emit('block', committed);
    return committed;
  }

  /** Checks that our own genesis matches the sequencer's block 1 (a follower's first step). */
  async checkGenesisBlock(remote: StoredBlock): Promise<void> {
    verifyHeaderSignature(remote.header, this.sequencer);
    const ours = (await this.getBlock(1))!.header;
    if (remote.header.stateRoot !== ours.stateRoot || headerHash(remote.header) !== ours.hash) {
      throw new ChainError(
        'INVALID_BLOCK',
        `the sequencer's genesis block ${remote.header.hash} differs from ours ${ours.hash}`,
      );
    }
  }

  // ---- reads ----

  async getBlock(height: number): Promise<StoredBlock | undefined> {
    const bytes = await this.store.getRecord(RECORD.block(height));
    return bytes ? decodeBlock(bytes) : undefined;
  }

  async getBlockByHash(hash: Hex): Promise<StoredBlock | undefined> {
    const loc = await this.store.getRecord(RECORD.blockByHash(hash));
    return loc ? this.getBlock(decodeLocation(loc).height) : undefined;
  }

  async getBlockEvents(height: number): Promise<ChainEvent[]> {
    const bytes = await this.store.getRecord(RECORD.blockEvents(height));
    return bytes ? decodeEvents(bytes) : [];
  }

  async getReceipt(hash: Hex): Promise<TxReceipt | undefined> {
    const bytes = await this.store.getRecord(RECORD.receipt(hash));
    return bytes ? decodeReceipt(bytes) : undefined;
  }

  async getTransaction(
    hash: Hex,
  ): Promise<{ bytes: Uint8Array; height?: number; index?: number; pending: boolean } | undefined> {
    const loc = await this.store.getRecord(RECORD.tx(hash));
    if (loc) {
      const { height, index } = decodeLocation(loc);
      const block = await this.getBlock(height);
      const bytes = block?.txs[index];
      if (bytes) return { bytes, height, index, pending: false };
    }
    const pending = this.mempool.get(hash);
    return pending ? { bytes: pending.bytes, pending: true } : undefined;
  }

  async transactionsOf(address: Address, limit = 50): Promise<Hex[]> {
    const out: Hex[] = [];
    for await (const [, v] of this.store.iterateRecords(RECORD.senderPrefix(address), {
      reverse: true,
      limit,
    })) {
      out.push(toHex(v));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.producing;
    if (this.ownPool) await this.pool?.close();
    await this.store.close();
  }
}
