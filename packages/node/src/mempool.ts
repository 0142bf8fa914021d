import { ChainError, type PreparedTx } from '@openledger/chain';
import type { Address, Hex } from '@openledger/core';

export type MempoolOptions = {
  /** Most transactions held in total. */
  maxTotal?: number;
  /** Most transactions held per sender. */
  maxPerSender?: number;
  /** Most bytes held in total. */
  maxBytes?: number;
  /** How far ahead of the account nonce a transaction may be queued. */
  maxNonceAhead?: bigint;
};

type Entry = { p: PreparedTx; seq: number };

/**
 * Pending transactions, ordered per sender by nonce (DESIGN §3): a minimum gas price (checked by the
 * app), size caps, duplicate rejection, and replacement of a pending (sender, nonce) only by a gas
 * price at least 10% higher.
 */
export class Mempool {
  private readonly bySender = new Map<Address, Map<bigint, Entry>>();
  private readonly byHash = new Map<Hex, Entry>();
  private bytes = 0;
  private seq = 0;
  readonly maxTotal: number;
  readonly maxPerSender: number;
  readonly maxBytes: number;
  readonly maxNonceAhead: bigint;

  constructor(opts: MempoolOptions = {}) {
    this.maxTotal = opts.maxTotal ?? 20_000;
    this.maxPerSender = opts.maxPerSender ?? 256;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.maxNonceAhead = opts.maxNonceAhead ?? 256n;
  }

  get size(): number {
    return this.byHash.size;
  }

  has(hash: Hex): boolean {
    return this.byHash.has(hash);
  }

  get(hash: Hex): PreparedTx | undefined {
    return this.byHash.get(hash)?.p;
  }

  /** The sender's next nonce counting its pending run of consecutive nonces from `accountNonce`. */
  nextNonce(sender: Address, accountNonce: bigint): bigint {
    const queue = this.bySender.get(sender);
    let next = accountNonce;
    while (queue?.has(next)) next++;
    return next;
  }

  /** Adds a checked transaction; `accountNonce` is the sender's next nonce in committed state. */
  add(p: PreparedTx, accountNonce: bigint): { replaced?: Hex } {
    if (this.byHash.has(p.hash)) {
      throw new ChainError('ALREADY_KNOWN', `transaction ${p.hash} is already pending`);
    }
    const { nonce, gasPrice } = p.tx.message;
    if (nonce > accountNonce + this.maxNonceAhead) {
      throw new ChainError(
        'NONCE_TOO_FAR',
        `nonce ${nonce} is more than ${this.maxNonceAhead} ahead of ${accountNonce}`,
      );
    }
    let queue = this.bySender.get(p.sender);
    const existing = queue?.get(nonce);
    if (existing) {
      const old = existing.p.tx.message.gasPrice;
      if (gasPrice * 10n < old * 11n) {
        throw new ChainError(
          'REPLACEMENT_UNDERPRICED',
          `a transaction with nonce ${nonce} is pending at gas price ${old}; a replacement needs at least ${(old * 11n + 9n) / 10n}`,
        );
      }
    } else {
      if (this.byHash.size >= this.maxTotal || this.bytes + p.bytes.length > this.maxBytes) {
        throw new ChainError('MEMPOOL_FULL', 'the mempool is full; retry in a few seconds');
      }
      if ((queue?.size ?? 0) >= this.maxPerSender) {
        throw new ChainError(
          'MEMPOOL_FULL',
          `${p.sender} already has ${this.maxPerSender} pending transactions`,
        );
      }
    }
    if (!queue) {
      queue = new Map();
      this.bySender.set(p.sender, queue);
    }
    if (existing) this.removeEntry(existing);
    const entry = { p, seq: this.seq++ };
    queue.set(nonce, entry);
    this.byHash.set(p.hash, entry);
    this.bytes += p.bytes.length;
    return existing ? { replaced: existing.p.hash } : {};
  }

  private removeEntry(e: Entry): void {
    this.byHash.delete(e.p.hash);
    this.bytes -= e.p.bytes.length;
    const queue = this.bySender.get(e.p.sender);
    if (queue?.get(e.p.tx.message.nonce) === e) queue.delete(e.p.tx.message.nonce);
    if (queue && queue.size === 0) this.bySender.delete(e.p.sender);
  }

  remove(hash: Hex): void {
    const e = this.byHash.get(hash);
    if (e) this.removeEntry(e);
  }

  /**
   * Transactions ready for the next block: for each sender the run of consecutive nonces starting at
   * its account nonce, senders interleaved by arrival. `nonceOf` reads the committed nonce.
   */
  async select(max: number, nonceOf: (a: Address) => Promise<bigint>): Promise<PreparedTx[]> {
    const runs: Entry[][] = [];
    for (const [sender, queue] of this.bySender) {
      let next = await nonceOf(sender);
      const run: Entry[] = [];
      for (;;) {
        const e = queue.get(next);
        if (!e) break;
        run.push(e);
        next++;
      }
      if (run.length) runs.push(run);
    }
    runs.sort((a, b) => a[0]!.seq - b[0]!.seq);
    const out: PreparedTx[] = [];
    for (let i = 0; out.length < max; i++) {
      let any = false;
      for (const run of runs) {
        const e = run[i];
        if (e && out.length < max) {
          out.push(e.p);
          any = true;
        }
      }
      if (!any) break;
    }
    return out;
  }

  /** After a block: drops included transactions and every pending one whose nonce is now used. */
  async prune(senders: Iterable<Address>, nonceOf: (a: Address) => Promise<bigint>): Promise<void> {
    for (const sender of senders) {
      const queue = this.bySender.get(sender);
      if (!queue) continue;
      const next = await nonceOf(sender);
      for (const [nonce, e] of [...queue]) if (nonce < next) this.removeEntry(e);
    }
  }
}
