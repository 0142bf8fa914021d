/** Worker thread for background compaction: builds a suffix array off the main thread. */
import { parentPort } from 'node:worker_threads';
import { suffixArray } from './sais.js';

parentPort?.on(
  'message',
  (msg: { id: number; text: Uint16Array | Uint32Array | Int32Array; upper: number }) => {
    try {
      const sa = suffixArray(msg.text, msg.upper);
      parentPort!.postMessage({ id: msg.id, sa }, [sa.buffer as ArrayBuffer]);
    } catch (e) {
      parentPort!.postMessage({ id: msg.id, error: (e as Error).message });
    }
  },
);
