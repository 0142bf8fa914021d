import {
  type Address,
  BaseError,
  formatOpen,
  fromHex,
  type Hex,
  moduleAddress,
  recoverAddress,
  toHex,
} from '@openledger/core';
import { type BlockHeader, resultsRoot, type TxReceipt, txRoot, ZERO_HASH } from './block.js';
import { type BlockInfo, Ctx } from './context.js';
import { ChainError } from './errors.js';
import type { ChainEvent } from './events.js';
import { GAS, GasMeter, InfiniteGasMeter } from './gas.js';
import type { Keepers } from './keepers.js';
import type { GenesisConfig, MessageDef, Module, QueryContext } from './module.js';
import { authModule, nonceKey } from './modules/auth/index.js';
import { balanceKey, bankModule, FEE_COLLECTOR } from './modules/bank/index.js';
import { paramsModule } from './modules/params/index.js';
import { createParamsKeeper, type RegisteredParam } from './modules/params/keeper.js';
import type { RouterKeeper } from './router.js';
import { Overlay } from './state/overlay.js';
import type { StateReader, StateWrites } from './state/types.js';
import { type MessageFields, MessageRegistry, type SignedTx } from './tx.js';

/** The governance module account: the sender of messages executed by proposals. */
export const GOVERNANCE: Address = moduleAddress('gov');
/** The sender of block hooks and genesis. */
export const SYSTEM: Address = moduleAddress('system');

/** A decoded transaction with its hash (EIP-712 digest) and recovered signer. */
export type PreparedTx = { tx: SignedTx; bytes: Uint8Array; hash: Hex; sender: Address };

export type ApplyMode =
  /** The sequencer builds a block: invalid transactions are left out and reported. */
  | 'build'
  /** A follower re-executes a block: any invalid transaction makes the block invalid. */
  | 'verify';

export type RejectedTx = { hash: Hex; code: string; error: string };

export type BlockResult = {
  writes: StateWrites;
  /** Included transactions in order, with their receipts. */
  included: PreparedTx[];
  receipts: TxReceipt[];
  rejected: RejectedTx[];
  /** Events of the block hooks (begin and end). */
  blockEvents: ChainEvent[];
  gasUsed: bigint;
  txRoot: Hex;
  resultsRoot: Hex;
};

export type SignerRecovery = (digest: Uint8Array, signature: Uint8Array) => Address;

export type AppOptions = {
  /** Signer recovery; the node passes a native libsecp256k1 one. Default: @noble/curves. */
  recoverSigner?: SignerRecovery;
};

/**
 * The application: modules registered through one interface, the message router, genesis and
 * `applyBlock`. Pure: no I/O, no clock, no randomness; state comes in as a reader and leaves as writes.
 */
export class App {
  readonly registry = new MessageRegistry();
  readonly modules: Module[];
  readonly keepers: Keepers;
  readonly recoverSigner: SignerRecovery;
  private readonly handlers = new Map<string, { def: MessageDef<any>; module: string }>();

  /**
   * `extraModules` builds the modules registered after the built-in auth, bank and params modules,
   * in order (their hooks run in that order); it receives the app so a module can register its
   * keeper (`app.setKeeper`) and reach the others through `app.keepers` at run time.
   */
  constructor(extraModules: (app: App) => Module[] = () => [], options: AppOptions = {}) {
    const auth = authModule();
    const bank = bankModule();
    this.recoverSigner = options.recoverSigner ?? ((d, s) => recoverAddress(d, s));
    this.keepers = { auth: auth.keeper, bank: bank.keeper, router: this.createRouter() } as Keepers;
    const extra = extraModules(this);
    const paramDefs: RegisteredParam[] = [];
    for (const m of [auth, bank, ...extra])
      for (const p of m.params ?? []) paramDefs.push({ ...p, module: m.name });
    const paramsKeeper = createParamsKeeper(paramDefs);
    this.keepers.params = paramsKeeper;
    this.modules = [auth, bank, paramsModule(paramsKeeper), ...extra];
    const names = new Set<string>();
    for (const m of this.modules) {
      if (names.has(m.name)) throw new Error(`module ${m.name} registered twice`);
      names.add(m.name);
      for (const def of m.messages ?? []) {
        this.registry.register(def);
        this.handlers.set(def.kind, { def, module: m.name });
      }
    }
  }

  /** Registers a keeper after construction (modules created with a reference to the app). */
  setKeeper<K extends keyof Keepers>(name: K, keeper: Keepers[K]): void {
    (this.keepers as unknown as Record<string, unknown>)[name] = keeper;
  }

  private createRouter(): RouterKeeper {
    return {
      dispatch: (ctx, kind, fields) => this.dispatch(ctx, kind, fields),
      dispatchBody: (ctx, kind, body) => this.dispatch(ctx, kind, this.registry.decodeBody(kind, body)),
      validateBody: (kind, body) => this.registry.decodeBody(kind, body),
    };
  }

  private async dispatch(ctx: Ctx, kind: string, fields: MessageFields): Promise<void> {
    const entry = this.handlers.get(kind);
    if (!entry) throw new ChainError('UNKNOWN_MESSAGE', `unknown message kind "${kind}"`);
    if (entry.def.authority === 'governance' && ctx.sender !== GOVERNANCE) {
      throw new ChainError('UNAUTHORIZED', `${kind} can only be executed by governance (a passed proposal)`, {
        metaMessages: ['Submit it inside a proposal: openledger gov propose.'],
      });
    }
    ctx.gas.consume(entry.def.baseGas, `${kind} base cost`);
    await entry.def.handle(ctx, { ...fields, from: ctx.sender });
  }

  messageDef(kind: string): MessageDef<any> {
    const entry = this.handlers.get(kind);
    if (!entry) this.registry.typesOf(kind); // throws UNKNOWN_MESSAGE with the known kinds
    return entry!.def;
  }

  /** Builds the genesis state (block 1). */
  async genesis(
    state: StateReader,
    genesis: GenesisConfig,
  ): Promise<{ writes: StateWrites; events: ChainEvent[] }> {
    const block: BlockInfo = {
      chainId: genesis.chainId,
      height: 1,
      time: genesis.genesisTime,
      proposer: genesis.sequencer,
    };
    const root = new Ctx(state, new InfiniteGasMeter(), block, SYSTEM, this.keepers);
    // params first, so other modules' genesis can read their parameters
    const ordered = [this.modules[2]!, ...this.modules.filter((_, i) => i !== 2)];
    for (const m of ordered) if (m.initGenesis) await m.initGenesis(root, genesis);
    return { writes: root.state.writes, events: root.events };
  }

  /** Decodes a wire transaction, computes its hash and recovers its signer. */
  prepareTx(bytes: Uint8Array, recovered?: Address): PreparedTx {
    const tx = this.registry.decodeTx(bytes);
    const digest = this.registry.digest(tx.chainId, tx.kind, tx.message);
    let sender = recovered;
    if (!sender) {
      try {
        sender = this.recoverSigner(digest, fromHex(tx.signature));
      } catch (e) {
        const code =
          e instanceof BaseError && e.code === 'HIGH_S_SIGNATURE' ? 'HIGH_S_SIGNATURE' : 'INVALID_SIGNATURE';
        throw new ChainError(code, (e as Error).message.split('\n')[0]!);
      }
    }
    return { tx, bytes, hash: toHex(digest), sender };
  }

  /** Gas charged before any handler runs: base + bytes + signature + the message kind's base. */
  intrinsicGas(p: PreparedTx): bigint {
    return (
      GAS.txBase + GAS.txByte * BigInt(p.bytes.length) + GAS.signature + this.messageDef(p.tx.kind).baseGas
    );
  }

  /**
   * Stateless and stateful checks every transaction must pass before inclusion (DESIGN §3): chain,
   * signer, gas price and limit, nonce, funds for `gasLimit × gasPrice`. Throws a ChainError.
   * `allowFutureNonce` lets the mempool queue nonces ahead of the account's.
   */
  async checkTx(ctx: Ctx, p: PreparedTx, opts: { allowFutureNonce?: boolean } = {}): Promise<void> {
    const { tx, sender } = p;
    const m = tx.message;
    if (tx.chainId !== ctx.block.chainId) {
      throw new ChainError(
        'WRONG_CHAIN',
        `transaction is for chain ${tx.chainId}, this is chain ${ctx.block.chainId}`,
        {
          metaMessages: ['Sign with the chainId from ol_chainInfo (eth_chainId).'],
        },
      );
    }
    if (sender !== m.from) {
      throw new ChainError('WRONG_SIGNER', `transaction signed by ${sender}, but its from is ${m.from}`, {
        metaMessages: ['Sign with the key of the from account, over the exact message and chainId.'],
      });
    }
    const minGasPrice = await this.keepers.params.get(ctx, 'auth', 'minGasPrice');
    if (m.gasPrice < minGasPrice) {
      throw new ChainError(
        'GAS_PRICE_TOO_LOW',
        `gas price ${m.gasPrice} is below the minimum ${minGasPrice}`,
      );
    }
    const maxTxGas = await this.keepers.params.get(ctx, 'auth', 'maxTxGas');
    if (m.gasLimit > maxTxGas)
      throw new ChainError('GAS_LIMIT_TOO_HIGH', `gas limit ${m.gasLimit} exceeds ${maxTxGas}`);
    const intrinsic = this.intrinsicGas(p);
    if (m.gasLimit < intrinsic) {
      throw new ChainError(
        'GAS_LIMIT_TOO_LOW',
        `gas limit ${m.gasLimit} is below the ${intrinsic} this transaction needs before execution`,
        {
          metaMessages: ['Estimate the gas with ol_estimateGas.'],
        },
      );
    }
    const nonce = await this.keepers.auth.nonce(ctx, sender);
    if (m.nonce < nonce)
      throw new ChainError(
        'NONCE_TOO_LOW',
        `nonce ${m.nonce} was already used; the account's next nonce is ${nonce}`,
      );
    if (m.nonce > nonce && !opts.allowFutureNonce) {
      throw new ChainError('NONCE_GAP', `nonce ${m.nonce} is ahead of the account's next nonce ${nonce}`);
    }
    const reserve = m.gasLimit * m.gasPrice;
    const balance = await this.keepers.bank.balance(ctx, sender);
    if (balance < reserve) {
      throw new ChainError(
        'INSUFFICIENT_FUNDS',
        `insufficient funds for gas: balance ${formatOpen(balance)} OPEN, gas limit × price ${formatOpen(reserve)} OPEN`,
      );
    }
  }

  /**
   * Applies a block to the committed `state` (DESIGN §3): begin hooks, each transaction (reserve gas,
   * nonce+1, run the message in its own layer, refund), end hooks. Returns the writes for the store.
   * PERF: O(transactions + state touched); no pass over the whole state.
   */
  async applyBlock(
    state: StateReader,
    block: BlockInfo,
    txs: PreparedTx[],
    mode: ApplyMode,
  ): Promise<BlockResult> {
    const root = new Ctx(state, new InfiniteGasMeter(), block, SYSTEM, this.keepers);
    await root.state.prefetch(this.prefetchKeys(txs));
    const blockEvents: ChainEvent[] = [];
    const runHooks = async (hook: 'beginBlock' | 'endBlock') => {
      for (const m of this.modules) {
        const fn = m[hook];
        if (!fn) continue;
        const c = root.child();
        await fn.call(m, c);
        blockEvents.push(...c.events);
        c.events.length = 0;
        c.commit();
      }
    };
    await runHooks('beginBlock');
    const maxBlockGas = await this.keepers.params.get(root, 'auth', 'maxBlockGas');
    const included: PreparedTx[] = [];
    const receipts: TxReceipt[] = [];
    const rejected: RejectedTx[] = [];
    let gasUsed = 0n;
    let gasReserved = 0n;
    for (const p of txs) {
      try {
        if (gasReserved + p.tx.message.gasLimit > maxBlockGas) {
          throw new ChainError('BLOCK_GAS_FULL', `block gas limit ${maxBlockGas} reached`);
        }
        await this.checkTx(root, p);
      } catch (e) {
        const err = e instanceof BaseError ? e : new ChainError('INVALID_TX', String(e));
        if (mode === 'verify') {
          throw new ChainError(
            'INVALID_BLOCK',
            `block ${block.height} includes an invalid transaction ${p.hash}: ${err.shortMessage}`,
          );
        }
        rejected.push({ hash: p.hash, code: err.code, error: err.shortMessage });
        continue;
      }
      gasReserved += p.tx.message.gasLimit;
      const receipt = await this.deliverTx(root, p, block.height, included.length);
      gasUsed += receipt.gasUsed;
      included.push(p);
      receipts.push(receipt);
    }
    await runHooks('endBlock');
    return {
      writes: root.state.writes,
      included,
      receipts,
      rejected,
      blockEvents,
      gasUsed,
      txRoot: txRoot(included.map((p) => p.hash)),
      resultsRoot: resultsRoot(receipts),
    };
  }

  /**
   * State keys the block's transactions will read (senders' nonces and balances, the fee collector,
   * the messages' own hints), read in one batch before execution. PERF only: results never depend on it.
   */
  private prefetchKeys(txs: PreparedTx[]): Uint8Array[] {
    if (txs.length === 0) return [];
    const keys: Uint8Array[] = [balanceKey(FEE_COLLECTOR)];
    for (const p of txs) {
      try {
        keys.push(nonceKey(p.sender), balanceKey(p.sender));
        const hint = this.handlers.get(p.tx.kind)?.def.prefetch;
        if (hint) keys.push(...hint({ ...p.tx.message, from: p.sender }));
      } catch {
        // a hint that cannot be computed is skipped; the transaction is checked as usual
      }
    }
    return keys;
  }

  private async deliverTx(root: Ctx, p: PreparedTx, height: number, index: number): Promise<TxReceipt> {
    const { tx, sender } = p;
    const { gasLimit, gasPrice } = tx.message;
    const bank = this.keepers.bank;
    // reserve gasLimit × gasPrice and advance the nonce: these stay even if the message fails
    await bank.transfer(root, sender, FEE_COLLECTOR, gasLimit * gasPrice);
    await this.keepers.auth.increment(root, sender);
    const meter = new GasMeter(gasLimit);
    const msgCtx = root.child({ sender, gas: meter, txHash: p.hash });
    let status: 'ok' | 'failed' = 'ok';
    let code: string | undefined;
    let error: string | undefined;
    try {
      meter.consume(this.intrinsicGas(p) - this.messageDef(tx.kind).baseGas, 'intrinsic gas');
      const { from: _from, nonce: _n, gasLimit: _g, gasPrice: _p, ...fields } = tx.message;
      await this.dispatch(msgCtx, tx.kind, fields);
    } catch (e) {
      status = 'failed';
      code = e instanceof BaseError ? e.code : 'INTERNAL_ERROR';
      error = e instanceof BaseError ? e.shortMessage : String(e);
    }
    const events = status === 'ok' ? [...msgCtx.events] : [];
    if (status === 'ok') msgCtx.commit();
    const used = meter.used;
    const refund = (gasLimit - used) * gasPrice;
    if (refund > 0n) await bank.transfer(root, FEE_COLLECTOR, sender, refund);
    const receipt: TxReceipt = {
      txHash: p.hash,
      height,
      index,
      kind: tx.kind,
      from: sender,
      status,
      gasUsed: used,
      gasPrice,
      events,
    };
    if (code !== undefined) receipt.code = code;
    if (error !== undefined) receipt.error = error;
    return receipt;
  }

  /** Runs a transaction against `state` without keeping anything (gas estimation, dry runs). */
  async simulate(state: StateReader, block: BlockInfo, p: PreparedTx): Promise<TxReceipt> {
    const root = new Ctx(state, new InfiniteGasMeter(), block, SYSTEM, this.keepers);
    await this.checkTx(root, p);
    return this.deliverTx(root, p, block.height, 0);
  }

  /** Every module's invariants on `state`; returns the violations (empty when all hold). */
  async checkInvariants(state: StateReader, block: BlockInfo): Promise<string[]> {
    const ctx = new Ctx(state, new InfiniteGasMeter(), block, SYSTEM, this.keepers);
    const violations: string[] = [];
    for (const m of this.modules) {
      for (const [name, check] of Object.entries(m.invariants ?? {})) {
        const v = await check(ctx);
        if (v) violations.push(`${m.name}.${name}: ${v}`);
      }
    }
    return violations;
  }

  /** Read-only queries, `<module>.<name>` (RPC ol_query). */
  async query(q: QueryContext, path: string, args: Record<string, unknown>): Promise<unknown> {
    const [moduleName, name] = path.split('.');
    const queries = this.modules.find((m) => m.name === moduleName)?.queries;
    // own properties only: 'bank.__proto__' or 'bank.constructor' are not queries
    const fn = queries && name !== undefined && Object.hasOwn(queries, name) ? queries[name] : undefined;
    if (!fn) {
      const known = this.modules.flatMap((m) => Object.keys(m.queries ?? {}).map((n) => `${m.name}.${n}`));
      throw new ChainError('UNKNOWN_QUERY', `unknown query "${path}"`, {
        metaMessages: [`Known queries: ${known.join(', ')}`],
      });
    }
    return fn(q, args);
  }
}

/** The header of the genesis block (height 1): no transactions, the genesis state root. */
export function genesisHeader(genesis: GenesisConfig, stateRoot: Hex): BlockHeader {
  return {
    chainId: genesis.chainId,
    height: 1,
    time: genesis.genesisTime,
    parentHash: ZERO_HASH,
    txRoot: txRoot([]),
    resultsRoot: resultsRoot([]),
    stateRoot,
    proposer: genesis.sequencer,
  };
}

export { Overlay };
