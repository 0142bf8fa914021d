/**
 * Worker of the RecoveryPool: recovers signers with native libsecp256k1 (and, for 'prepare',
 * decodes and hashes the transactions first with the default app's registry).
 */
import { parentPort } from 'node:worker_threads';
import { createApp } from '@openledger/chain';
import { BaseError } from '@openledger/core';
import { loadNativeSecp256k1, nativeRecoverAddress } from './native-secp.js';
import type { WorkerRequest, WorkerResult } from './recovery-pool.js';

loadNativeSecp256k1(); // fails loudly in the worker (reported as an error) if the binding is missing
const app = createApp({ recoverSigner: nativeRecoverAddress });

const failure = (e: unknown): WorkerResult => ({
  code: e instanceof BaseError ? e.code : ((e as { code?: string })?.code ?? 'INVALID_SIGNATURE'),
  message: e instanceof BaseError ? e.shortMessage : String((e as Error)?.message ?? e).split('\n')[0]!,
});

parentPort!.on('message', (req: WorkerRequest) => {
  const out: WorkerResult[] = [];
  if (req.op === 'recover') {
    for (let i = 0; i < req.n; i++) {
      try {
        const digest = req.digests.subarray(i * 32, i * 32 + 32);
        const sig = req.signatures.subarray(i * 65, i * 65 + 65);
        out.push({ sender: nativeRecoverAddress(digest, sig) });
      } catch (e) {
        out.push(failure(e));
      }
    }
  } else {
    for (const bytes of req.txs) {
      try {
        const p = app.prepareTx(bytes);
        out.push({ sender: p.sender, hash: p.hash, tx: p.tx });
      } catch (e) {
        out.push(failure(e));
      }
    }
  }
  parentPort!.postMessage({ id: req.id, out });
});
