import { type MessageFields, MessageRegistry, type SignedTx, type TxMessage } from '@openledger/chain';
import {
  type Address,
  BaseError,
  formatOpen,
  fromHex,
  type Hex,
  openLedgerDomain,
  parseAddress,
  parseOpen,
  type TypedField,
  type TypedTypes,
  toHex,
} from '@openledger/core';
import { RpcRequestError } from './errors.js';
import type { Signer } from './signer.js';

export type ClientOptions = {
  /** The node's HTTP JSON-RPC URL, e.g. http://127.0.0.1:8545 */
  url: string;
  /** Per-request timeout. */
  timeoutMs?: number;
};

export type Receipt = {
  txHash: Hex;
  height: number;
  index: number;
  kind: string;
  from: Address;
  status: 'ok' | 'failed';
  code?: string;
  error?: string;
  gasUsed: bigint;
  gasPrice: bigint;
  events: Array<{ type: string; attributes: Array<[string, string]> }>;
};

export type ChainInfo = {
  chainId: bigint;
  height: number;
  headHash: Hex;
  time: number;
  stateRoot: Hex;
  sequencer: Address;
  minGasPrice: bigint;
  pendingTransactions: number;
};

export type SendOptions = { gasLimit?: bigint; gasPrice?: bigint; nonce?: bigint };

export type Sent = { hash: Hex; wait(opts?: { timeoutMs?: number }): Promise<Receipt> };

type SubscriptionHandler = (result: unknown) => void;

/**
 * A typed client of an OpenLedger node. Amounts come back as bigint base units; helpers take and
 * give OPEN as decimal strings (`'1.5'`).
 */
export class OpenLedgerClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private registry: MessageRegistry | undefined;
  private chainIdCache: bigint | undefined;
  private nextId = 1;

  constructor(opts: ClientOptions | string) {
    const o = typeof opts === 'string' ? { url: opts } : opts;
    this.url = o.url.replace(/\/$/, '');
    this.timeoutMs = o.timeoutMs ?? 30_000;
  }

  /** One JSON-RPC call; node errors become RpcRequestError with the node's code and hints. */
  async request<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        signal: controller.signal,
      });
    } catch (cause) {
      throw new BaseError('NODE_UNREACHABLE', `cannot reach the node at ${this.url}`, {
        cause,
        metaMessages: ['Is the node running? Start the devnet with `npm start` or pass --rpc <url>.'],
      });
    } finally {
      clearTimeout(timer);
    }
    const body = (await res.json()) as {
      result?: T;
      error?: { code: number; message: string; data?: { code?: string; hints?: string[] } };
    };
    if (body.error) {
      throw new RpcRequestError(
        method,
        body.error.code,
        body.error.data?.code ?? 'RPC_ERROR',
        body.error.message,
        body.error.data?.hints,
      );
    }
    return body.result as T;
  }

  async chainInfo(): Promise<ChainInfo> {
    const r = await this.request<Record<string, unknown>>('ol_chainInfo');
    return {
      ...(r as object),
      chainId: BigInt(r.chainId as string),
      minGasPrice: BigInt(r.minGasPrice as string),
    } as ChainInfo;
  }

  async chainId(): Promise<bigint> {
    this.chainIdCache ??= (await this.chainInfo()).chainId;
    return this.chainIdCache;
  }

  /** The message registry, built from the node's EIP-712 types (so the SDK signs what the node runs). */
  async messageRegistry(): Promise<MessageRegistry> {
    if (this.registry) return this.registry;
    const { kinds } = await this.request<{ kinds: Record<string, TypedTypes> }>('ol_messageTypes');
    const registry = new MessageRegistry();
    for (const [kind, types] of Object.entries(kinds)) {
      const { [kind]: primary, ...structs } = types;
      registry.register({ kind, fields: (primary as TypedField[]).slice(4), structs });
    }
    this.registry = registry;
    return registry;
  }

  async getBalance(address: string, height?: number): Promise<{ balance: bigint; formatted: string }> {
    const r = await this.request<{ balance: string }>('ol_getBalance', [
      parseAddress(address),
      height ?? 'latest',
    ]);
    const balance = BigInt(r.balance);
    return { balance, formatted: formatOpen(balance) };
  }

  async getNonce(address: string): Promise<{ nonce: bigint; pending: bigint }> {
    const r = await this.request<{ nonce: string; pending: string }>('ol_getNonce', [parseAddress(address)]);
    return { nonce: BigInt(r.nonce), pending: BigInt(r.pending) };
  }

  async getBlock(
    ref: number | Hex | 'latest' = 'latest',
    withReceipts = false,
  ): Promise<Record<string, unknown>> {
    return this.request('ol_getBlock', [ref, withReceipts]);
  }

  async getTransaction(hash: Hex): Promise<Record<string, unknown> | null> {
    return this.request('ol_getTransaction', [hash]);
  }

  async getReceipt(hash: Hex): Promise<Receipt | null> {
    const r = await this.request<Record<string, unknown> | null>('ol_getReceipt', [hash]);
    return r ? parseReceipt(r) : null;
  }

  /** Polls until the transaction is in a block; resolves with its receipt (ok or failed). */
  async waitForReceipt(hash: Hex, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<Receipt> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const r = await this.getReceipt(hash);
      if (r) return r;
      if (Date.now() > deadline) {
        throw new BaseError(
          'RECEIPT_TIMEOUT',
          `transaction ${hash} was not included within ${opts.timeoutMs ?? 60_000} ms`,
        );
      }
      await new Promise((res) => setTimeout(res, opts.pollMs ?? 100));
    }
  }

  async query<T = unknown>(path: string, args: Record<string, unknown> = {}, height?: number): Promise<T> {
    return this.request<T>('ol_query', [path, args, height ?? 'latest']);
  }

  /** Sends an already-encoded transaction. */
  async sendRaw(bytes: Uint8Array): Promise<Hex> {
    return this.request<Hex>('ol_sendRawTransaction', [toHex(bytes)]);
  }

  /**
   * Builds, signs and sends a message: fills nonce (pending), gas price (the node's minimum) and gas
   * limit (estimated, with headroom) unless given.
   */
  async send(signer: Signer, kind: string, fields: MessageFields, opts: SendOptions = {}): Promise<Sent> {
    const registry = await this.messageRegistry();
    const chainId = await this.chainId();
    const from = signer.address;
    const nonce = opts.nonce ?? (await this.getNonce(from)).pending;
    const gasPrice = opts.gasPrice ?? (await this.chainInfo()).minGasPrice;
    let gasLimit = opts.gasLimit;
    if (gasLimit === undefined) {
      const estimate = await this.request<{
        suggestedGasLimit: string;
        status: string;
        code: string | null;
        error: string | null;
      }>('ol_estimateGas', [
        { kind, message: jsonFields({ ...fields, from, nonce, gasPrice, gasLimit: 0n }) },
      ]).catch((e: unknown) => {
        // estimation checks funds for the gas limit; fall back to a generous limit and let the node decide
        if (e instanceof RpcRequestError && e.code === 'GAS_LIMIT_TOO_LOW') return undefined;
        throw e;
      });
      gasLimit = estimate ? BigInt(estimate.suggestedGasLimit) : 1_000_000n;
    }
    const message = registry.normalize(
      kind,
      { ...fields, from, nonce, gasLimit, gasPrice },
      true,
    ) as TxMessage;
    const types = registry.typesOf(kind);
    const signature = await signer.signTypedData({
      domain: openLedgerDomain(chainId),
      types,
      primaryType: kind,
      message,
    });
    const tx: SignedTx = { chainId, kind, message, signature };
    const hash = await this.sendRaw(registry.encodeTx(tx));
    return { hash, wait: (o) => this.waitForReceipt(hash, o) };
  }

  /** Sends `amount` OPEN (a decimal string such as '1.5', or base units as bigint). */
  async transfer(signer: Signer, to: string, amount: string | bigint, opts?: SendOptions): Promise<Sent> {
    const value = typeof amount === 'bigint' ? amount : parseOpen(amount);
    return this.send(signer, 'Transfer', { to: parseAddress(to), amount: value }, opts);
  }

  /**
   * Subscribes over WebSocket to 'newBlocks' or 'events' (optionally filtered by event type prefix or
   * an attribute value such as an address). Returns a function that unsubscribes and closes.
   */
  async subscribe(
    kind: 'newBlocks' | 'events',
    handler: SubscriptionHandler,
    filter: { type?: string; attribute?: string } = {},
  ): Promise<() => Promise<void>> {
    const WS =
      (globalThis as { WebSocket?: typeof WebSocket }).WebSocket ??
      ((await import('ws')).default as unknown as typeof WebSocket);
    const ws = new WS(`${this.url.replace(/^http/, 'ws')}/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () =>
        reject(new BaseError('NODE_UNREACHABLE', `cannot open a WebSocket to ${this.url}/ws`));
    });
    const id = await new Promise<string>((resolve, reject) => {
      ws.onmessage = (ev) => {
        const msg = JSON.parse(String(ev.data)) as {
          id?: number;
          result?: string;
          error?: { message: string };
          method?: string;
          params?: { subscription: string; result: unknown };
        };
        if (msg.method === 'ol_subscription' && msg.params) return handler(msg.params.result);
        if (msg.id === 1)
          return msg.error
            ? reject(new BaseError('SUBSCRIBE_FAILED', msg.error.message))
            : resolve(msg.result!);
      };
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ol_subscribe', params: [kind, filter] }));
    });
    return async () => {
      if (ws.readyState === ws.OPEN)
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ol_unsubscribe', params: [id] }));
      ws.close();
    };
  }
}

/** bigint → decimal strings, recursively (JSON-RPC params). */
export function jsonFields(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonFields);
  if (value instanceof Uint8Array) return toHex(value);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonFields(v)]));
  }
  return value;
}

export function parseReceipt(r: Record<string, unknown>): Receipt {
  return {
    ...(r as object),
    gasUsed: BigInt(r.gasUsed as string),
    gasPrice: BigInt(r.gasPrice as string),
  } as Receipt;
}

export { fromHex };
