import { decodeSignedHeader } from '@openledger/chain';
import { BaseError, fromHex, type Hex } from '@openledger/core';
import type { Node } from './node.js';
import type { StoredBlock } from './records.js';
import { invalidParams, RPC, RpcError } from './rpc-errors.js';
import type { RpcMethod } from './rpc-methods.js';

/** A minimal JSON-RPC call over HTTP (the follower's link to the sequencer). */
export async function rpcCall<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as {
    result?: T;
    error?: { code: number; message: string; data?: { code?: string } };
  };
  if (body.error) {
    throw new BaseError(body.error.data?.code ?? 'RPC_ERROR', `${method}: ${body.error.message}`);
  }
  return body.result as T;
}

export type FollowerOptions = { pollMs?: number; log?: (line: string) => void };

/**
 * Follower mode (DESIGN §3 Consensus): fetches each block from the sequencer, checks its signature
 * against the sequencer named in genesis, re-executes it and verifies its roots. A block that fails
 * is refused and reported (`error`, the node's `syncError` event), and following stops there.
 */
export class Follower {
  error: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    readonly node: Node,
    readonly leaderUrl: string,
    readonly opts: FollowerOptions = {},
  ) {}

  private async fetchBlock(height: number): Promise<StoredBlock | undefined> {
    const raw = await rpcCall<{ header: string; txs: string[] } | null>(this.leaderUrl, 'ol_getRawBlock', [
      height,
    ]);
    if (!raw) return undefined;
    return { header: decodeSignedHeader(fromHex(raw.header)), txs: raw.txs.map((t) => fromHex(t)) };
  }

  /** Checks that the sequencer's block 1 is our genesis block. */
  async checkGenesis(): Promise<void> {
    const remote = await this.fetchBlock(1);
    if (!remote) throw new BaseError('SYNC_FAILED', 'the sequencer has no block 1');
    await this.node.checkGenesisBlock(remote);
  }

  /**
   * Imports every block the sequencer has beyond ours; returns how many. Pipelined: block n+1 is
   * fetched and its transactions decoded and recovered (worker threads) while block n executes.
   */
  async syncOnce(): Promise<number> {
    const info = await rpcCall<{ height: number }>(this.leaderUrl, 'ol_chainInfo');
    let imported = 0;
    const ahead = async (height: number) => {
      const block = await this.fetchBlock(height);
      return block ? this.node.prepareBlock(block) : undefined;
    };
    let next = this.node.height < info.height ? ahead(this.node.height + 1) : undefined;
    try {
      while (next && !this.stopped) {
        const current = await next;
        next = undefined;
        if (!current) break;
        const h = current.block.header.height;
        if (h < info.height) next = ahead(h + 1);
        await this.node.importBlock(current);
        imported++;
      }
    } finally {
      next?.catch(() => {}); // a prefetch left behind by an error or stop
    }
    return imported;
  }

  async start(): Promise<void> {
    await this.checkGenesis();
    const loop = async () => {
      if (this.stopped) return;
      this.running = (async () => {
        try {
          await this.syncOnce();
        } catch (e) {
          if (e instanceof BaseError && e.code === 'INVALID_BLOCK') {
            this.error = e;
            this.opts.log?.(`follower stopped: ${e.shortMessage}`);
            this.node.emit('syncError', e);
            this.stopped = true;
            return;
          }
          this.opts.log?.(`follower: ${(e as Error).message} (retrying)`);
        }
      })();
      await this.running;
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollMs ?? 250);
    };
    await loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * RPC method overrides for a follower's own RPC server (`startRpcServer(node, { methods })`):
 * `ol_sendRawTransaction` is forwarded to the sequencer, which alone orders transactions. The
 * sequencer's answer (hash or error, with its JSON-RPC code and hints) is passed through unchanged;
 * an unreachable sequencer is a -32020 SEQUENCER_UNREACHABLE error.
 */
export function followerMethods(
  leaderUrl: string,
  opts: { timeoutMs?: number } = {},
): Record<string, RpcMethod> {
  return {
    async ol_sendRawTransaction(params) {
      const raw = params[0];
      if (typeof raw !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(raw)) {
        throw invalidParams('parameter 0 (transaction) must be 0x-prefixed hex of the encoded transaction');
      }
      let body: {
        result?: Hex;
        error?: { code: number; message: string; data?: { code?: string; hints?: string[] } };
      };
      try {
        const res = await fetch(leaderUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ol_sendRawTransaction', params: [raw] }),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
        body = (await res.json()) as typeof body;
      } catch (cause) {
        throw new RpcError(
          RPC.UNAVAILABLE,
          'SEQUENCER_UNREACHABLE',
          `this node follows ${leaderUrl} and could not forward the transaction to it: ${String(cause)}`,
          ['Retry later, or send the transaction to the sequencer directly.'],
        );
      }
      if (body.error) {
        throw new RpcError(
          body.error.code,
          body.error.data?.code ?? 'RPC_ERROR',
          String(body.error.message),
          body.error.data?.hints,
        );
      }
      return body.result;
    },
  };
}
