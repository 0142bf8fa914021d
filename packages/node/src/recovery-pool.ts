import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ChainError, type PreparedTx, type SignedTx } from '@openledger/chain';
import type { Address, Hex } from '@openledger/core';

/** @internal messages between the pool and its workers */
export type WorkerRequest =
  | { id: number; op: 'recover'; n: number; digests: Uint8Array; signatures: Uint8Array }
  | { id: number; op: 'prepare'; txs: Uint8Array[] };
/** @internal */
export type WorkerResult = { sender: Address; hash?: Hex; tx?: SignedTx } | { code: string; message: string };

export type RecoveryPoolOptions = {
  /** Worker threads (default: available cores, at most 8). */
  threads?: number;
  /** Smallest slice of a batch sent to one worker. */
  minChunk?: number;
};

/** A recovered signer, or why there is none (the codes of `app.prepareTx`). */
export type Recovered = Address | ChainError;

type Pending = { resolve: (out: WorkerResult[]) => void; reject: (e: Error) => void };

/**
 * Recovers transaction signers in parallel on worker threads, each with the native libsecp256k1
 * binding (DESIGN §3: recovery is the hot path of block import). A batch is split into one chunk
 * per worker; digests and signatures travel as two flat buffers. `prepare` goes further: the
 * workers also decode and hash the transactions (with the default app's registry), so the main
 * thread only executes. Workers are started lazily and do not keep the process alive when idle.
 */
export class RecoveryPool {
  readonly threads: number;
  private readonly minChunk: number;
  private workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private next = 0;
  private closed = false;
  private failure: Error | undefined;
  /** Batches and items handled (for tests and metrics). */
  readonly stats = { batches: 0, items: 0 };

  constructor(opts: RecoveryPoolOptions = {}) {
    this.threads = Math.max(1, Math.min(opts.threads ?? availableParallelism(), 8));
    this.minChunk = opts.minChunk ?? 32;
  }

  private start(): void {
    if (this.workers.length || this.closed) return;
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(new URL('./recovery-worker.js', import.meta.url));
      w.on('message', (m: { id: number; out: WorkerResult[] }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (this.pending.size === 0) for (const x of this.workers) x.unref();
        p?.resolve(m.out);
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`a recovery worker exited (code ${code})`));
      });
      w.unref();
      this.workers.push(w);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private run(make: (id: number) => WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerResult[]> {
    if (this.closed) return Promise.reject(new Error('the recovery pool is closed'));
    if (this.failure) return Promise.reject(this.failure);
    this.start();
    const id = this.nextId++;
    const w = this.workers[this.next++ % this.workers.length]!;
    for (const x of this.workers) x.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage(make(id), transfer);
    });
  }

  private chunks(n: number): Array<[number, number]> {
    const parts = Math.max(1, Math.min(this.threads, Math.ceil(n / this.minChunk)));
    const size = Math.ceil(n / parts);
    const out: Array<[number, number]> = [];
    for (let lo = 0; lo < n; lo += size) out.push([lo, Math.min(n, lo + size)]);
    return out;
  }

  /** Recovers the signer of each (32-byte digest, 65-byte r‖s‖v signature); high s is refused. */
  async recover(digests: Uint8Array[], signatures: Uint8Array[]): Promise<Recovered[]> {
    if (digests.length !== signatures.length) throw new Error('recover: as many digests as signatures');
    this.stats.batches++;
    this.stats.items += digests.length;
    const results = await Promise.all(
      this.chunks(digests.length).map(([lo, hi]) => {
        const n = hi - lo;
        const d = new Uint8Array(n * 32);
        const s = new Uint8Array(n * 65);
        for (let i = 0; i < n; i++) {
          const digest = digests[lo + i]!;
          const sig = signatures[lo + i]!;
          if (digest.length !== 32 || sig.length !== 65) {
            throw new ChainError('INVALID_SIGNATURE', 'a digest is 32 bytes and a signature 65 bytes');
          }
          d.set(digest, i * 32);
          s.set(sig, i * 65);
        }
        return this.run((id) => ({ id, op: 'recover', n, digests: d, signatures: s }), [d.buffer, s.buffer]);
      }),
    );
    return results.flat().map((r) => ('sender' in r ? r.sender : new ChainError(r.code, r.message)));
  }

  /**
   * `app.prepareTx` for each wire transaction, in the workers: decoded transaction, hash (EIP-712
   * digest) and recovered signer, or the ChainError prepareTx would throw. Only for nodes running
   * the default app (`createApp()`), whose registry the workers share.
   */
  async prepare(txs: Uint8Array[]): Promise<Array<PreparedTx | ChainError>> {
    this.stats.batches++;
    this.stats.items += txs.length;
    const results = await Promise.all(
      this.chunks(txs.length).map(([lo, hi]) =>
        this.run((id) => ({ id, op: 'prepare', txs: txs.slice(lo, hi) }), []),
      ),
    );
    return results
      .flat()
      .map((r, i) =>
        'sender' in r
          ? { tx: r.tx!, bytes: txs[i]!, hash: r.hash!, sender: r.sender }
          : new ChainError(r.code, r.message),
      );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.fail(new Error('the recovery pool is closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}
