import { jsonify, type PreparedTx, type SignedTx, type TxReceipt } from '@openledger/chain';
import {
  type Address,
  formatOpen,
  fromHex,
  type Hex,
  openLedgerDomain,
  parseAddress,
  toHex,
} from '@openledger/core';
import { proofToJson } from '@openledger/store';
import { genesisToJson } from './genesis-file.js';
import type { Node } from './node.js';
import type { StoredBlock } from './records.js';
import { invalidParams, RPC, RpcError } from './rpc-errors.js';

export type RpcMethod = (params: unknown[]) => Promise<unknown>;

const hexQuantity = (v: bigint | number) => `0x${BigInt(v).toString(16)}`;

function param<T>(
  params: unknown[],
  i: number,
  name: string,
  check: (v: unknown) => v is T,
  expected: string,
): T {
  const v = params[i];
  if (!check(v)) throw invalidParams(`parameter ${i} (${name}) must be ${expected}`);
  return v;
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isHexString = (v: unknown): v is Hex => typeof v === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(v);
const isHash = (v: unknown): v is Hex => typeof v === 'string' && /^0x[0-9a-fA-F]{64}$/.test(v);

function address(params: unknown[], i: number): Address {
  return parseAddress(param(params, i, 'address', isString, 'a 0x address'));
}

/** Methods of the node's JSON-RPC API (DESIGN §3): `ol_*` plus the `eth_*` reads wallets need. */
export function rpcMethods(node: Node, extra: Record<string, RpcMethod> = {}): Record<string, RpcMethod> {
  const app = node.app;

  /** Reads at a height: latest when omitted or 'latest'. */
  const stateAt = (h: unknown) => {
    if (h === undefined || h === null || h === 'latest')
      return { state: node.store.latest(), height: node.height };
    const height =
      typeof h === 'number'
        ? h
        : typeof h === 'string' && /^0x[0-9a-f]+$/i.test(h)
          ? Number.parseInt(h, 16)
          : Number.NaN;
    if (!Number.isSafeInteger(height) || height < 1 || height > node.height) {
      throw invalidParams(`height must be 'latest' or between 1 and ${node.height}`);
    }
    return { state: node.store.at(height), height };
  };

  const txHash = (bytes: Uint8Array): Hex => {
    const tx = app.registry.decodeTx(bytes);
    return toHex(app.registry.digest(tx.chainId, tx.kind, tx.message));
  };

  const blockJson = (b: StoredBlock) => ({
    ...(jsonify(b.header) as object),
    time: Number(b.header.time),
    transactions: b.txs.map(txHash),
  });

  const findBlock = async (ref: unknown): Promise<StoredBlock> => {
    let block: StoredBlock | undefined;
    if (ref === undefined || ref === 'latest') block = await node.getBlock(node.height);
    else if (isHash(ref)) block = await node.getBlockByHash(ref.toLowerCase() as Hex);
    else if (typeof ref === 'number' && Number.isSafeInteger(ref)) block = await node.getBlock(ref);
    else throw invalidParams("block must be a height, a block hash or 'latest'");
    if (!block)
      throw new RpcError(RPC.NOT_FOUND, 'NOT_FOUND', `no block ${String(ref)} (head is ${node.height})`);
    return block;
  };

  const txJson = (tx: SignedTx, hash: Hex) => ({ hash, ...(jsonify(tx) as object) });

  /** An unsigned {kind, message} for estimation: the sender is `from`, the signature a placeholder. */
  const unsignedTx = (v: unknown): PreparedTx => {
    if (v === null || typeof v !== 'object')
      throw invalidParams('expected a raw transaction hex or {kind, message}');
    const { kind, message } = v as { kind?: unknown; message?: unknown };
    if (typeof kind !== 'string' || message === null || typeof message !== 'object') {
      throw invalidParams('expected {kind, message}');
    }
    const normalized = app.registry.normalize(
      kind,
      message as Record<string, unknown>,
      true,
    ) as SignedTx['message'];
    const signature = toHex(new Uint8Array(65).fill(1));
    const tx: SignedTx = { chainId: node.chainId, kind, message: normalized, signature };
    const bytes = app.registry.encodeTx(tx);
    return {
      tx,
      bytes,
      hash: toHex(app.registry.digest(node.chainId, kind, normalized)),
      sender: normalized.from,
    };
  };

  const receiptJson = (r: TxReceipt) => jsonify(r);

  const methods: Record<string, RpcMethod> = {
    async ol_chainInfo() {
      const minGasPrice = await app.keepers.params.read(node.store.latest(), 'auth', 'minGasPrice');
      return {
        chainId: node.chainId.toString(),
        height: node.height,
        headHash: node.latestHeader.hash,
        time: Number(node.latestHeader.time),
        stateRoot: node.latestHeader.stateRoot,
        sequencer: node.sequencer,
        minGasPrice: minGasPrice.toString(),
        pendingTransactions: node.mempool.size,
      };
    },
    async ol_getGenesis() {
      return JSON.parse(genesisToJson(node.genesis));
    },
    async ol_messageTypes() {
      const domain = openLedgerDomain(node.chainId);
      return {
        domain: { ...domain, chainId: domain.chainId.toString() },
        kinds: Object.fromEntries(app.registry.list().map((m) => [m.kind, app.registry.typesOf(m.kind)])),
      };
    },
    async ol_sendRawTransaction(params) {
      const raw = param(params, 0, 'transaction', isHexString, '0x-prefixed hex of the encoded transaction');
      return node.submit(fromHex(raw));
    },
    async ol_estimateGas(params) {
      const v = params[0];
      let p =
        typeof v === 'string'
          ? app.prepareTx(fromHex(param(params, 0, 'transaction', isHexString, 'hex')))
          : unsignedTx(v);
      if (typeof v !== 'string' && p.tx.message.gasLimit === 0n) {
        // no limit given (the SDK sends 0): simulate with the most the sender could pay for, up to maxTxGas
        const state = node.store.latest();
        const maxTxGas = await app.keepers.params.read(state, 'auth', 'maxTxGas');
        const { balance } = (await app.query({ state, height: node.height }, 'bank.balance', {
          address: p.sender,
        })) as { balance: bigint };
        const price = p.tx.message.gasPrice;
        const affordable = price > 0n ? balance / price : maxTxGas;
        const gasLimit = affordable < maxTxGas ? affordable : maxTxGas;
        p = unsignedTx({
          ...(v as object),
          message: { ...(v as { message: object }).message, gasLimit: gasLimit.toString() },
        });
      }
      const block = {
        chainId: node.chainId,
        height: node.height + 1,
        time: node.latestHeader.time,
        proposer: node.sequencer,
      };
      const receipt = await app.simulate(node.store.latest(), block, p);
      return {
        gasUsed: receipt.gasUsed.toString(),
        // headroom: state sizes may change between estimate and inclusion
        suggestedGasLimit: ((receipt.gasUsed * 13n) / 10n + 5_000n).toString(),
        status: receipt.status,
        code: receipt.code ?? null,
        error: receipt.error ?? null,
      };
    },
    async ol_getTransaction(params) {
      const hash = param(params, 0, 'hash', isHash, 'a 32-byte 0x hash').toLowerCase() as Hex;
      const found = await node.getTransaction(hash);
      if (!found) return null;
      const tx = app.registry.decodeTx(found.bytes);
      return {
        ...txJson(tx, hash),
        height: found.height ?? null,
        index: found.index ?? null,
        pending: found.pending,
      };
    },
    async ol_getReceipt(params) {
      const hash = param(params, 0, 'hash', isHash, 'a 32-byte 0x hash').toLowerCase() as Hex;
      const receipt = await node.getReceipt(hash);
      return receipt ? receiptJson(receipt) : null;
    },
    async ol_getBlock(params) {
      const block = await findBlock(params[0]);
      const json = blockJson(block) as Record<string, unknown>;
      if (params[1] === true) {
        json.receipts = await Promise.all(
          (json.transactions as Hex[]).map(async (h) => receiptJson((await node.getReceipt(h))!)),
        );
        json.blockEvents = await node.getBlockEvents(block.header.height);
      }
      return json;
    },
    async ol_getRawBlock(params) {
      const height = param(
        params,
        0,
        'height',
        (v): v is number => Number.isSafeInteger(v),
        'a block height',
      );
      const block = await node.getBlock(height);
      if (!block) return null;
      const { encodeSignedHeader } = await import('@openledger/chain');
      return { header: toHex(encodeSignedHeader(block.header)), txs: block.txs.map(toHex) };
    },
    async ol_getBalance(params) {
      const who = address(params, 0);
      const { state, height } = stateAt(params[1]);
      const { balance } = (await app.query({ state, height }, 'bank.balance', { address: who })) as {
        balance: bigint;
      };
      return { address: who, balance: balance.toString(), formatted: formatOpen(balance), height };
    },
    async ol_getNonce(params) {
      const who = address(params, 0);
      const nonce = await node.nonceOf(who);
      const pending = node.mempool.nextNonce(who, nonce);
      return { address: who, nonce: nonce.toString(), pending: pending.toString() };
    },
    async ol_query(params) {
      const path = param(params, 0, 'path', isString, 'a query path such as bank.balance');
      const args = (params[1] ?? {}) as Record<string, unknown>;
      if (typeof args !== 'object' || Array.isArray(args))
        throw invalidParams('parameter 1 (args) must be an object');
      const at = stateAt(params[2]);
      return jsonify(await app.query(at, path, args));
    },
    async ol_getProof(params) {
      const key = param(params, 0, 'key', isHexString, 'the state key as 0x hex');
      const { height } = stateAt(params[1]);
      const { value, proof, root } = await node.store.prove(fromHex(key), height);
      return {
        key,
        height,
        root: toHex(root),
        value: value ? toHex(value) : null,
        proof: proofToJson(proof),
      };
    },
    async ol_transactionsOf(params) {
      const who = address(params, 0);
      const limit = typeof params[1] === 'number' ? Math.min(Math.max(1, params[1]), 500) : 50;
      return node.transactionsOf(who, limit);
    },
    async eth_chainId() {
      return hexQuantity(node.chainId);
    },
    async net_version() {
      return node.chainId.toString();
    },
    async eth_blockNumber() {
      return hexQuantity(node.height);
    },
    async eth_gasPrice() {
      return hexQuantity(await app.keepers.params.read(node.store.latest(), 'auth', 'minGasPrice'));
    },
    async eth_getBalance(params) {
      const who = address(params, 0);
      const { state, height } = stateAt(params[1] === 'pending' ? 'latest' : params[1]);
      const { balance } = (await app.query({ state, height }, 'bank.balance', { address: who })) as {
        balance: bigint;
      };
      return hexQuantity(balance);
    },
    async eth_getTransactionCount(params) {
      const who = address(params, 0);
      return hexQuantity(await node.nonceOf(who));
    },
    async eth_getBlockByNumber(params) {
      const tag = params[0];
      const ref =
        tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized'
          ? 'latest'
          : tag === 'earliest'
            ? 1
            : typeof tag === 'string' && /^0x[0-9a-f]+$/i.test(tag)
              ? Number.parseInt(tag, 16)
              : undefined;
      if (ref === undefined) throw invalidParams("block must be a 0x height or 'latest'");
      let block: StoredBlock;
      try {
        block = await findBlock(ref);
      } catch {
        return null;
      }
      const h = block.header;
      return {
        number: hexQuantity(h.height),
        hash: h.hash,
        parentHash: h.parentHash,
        timestamp: hexQuantity(h.time),
        stateRoot: h.stateRoot,
        transactionsRoot: h.txRoot,
        miner: h.proposer,
        gasLimit: hexQuantity(await app.keepers.params.read(node.store.latest(), 'auth', 'maxBlockGas')),
        gasUsed: '0x0',
        transactions: block.txs.map(txHash),
        uncles: [],
      };
    },
    ...extra,
  };
  return methods;
}
