import { resolveObjectURL } from 'node:buffer';
import { Worker as NodeWorker } from 'node:worker_threads';

// Node 20 environment for @jax-js/jax 0.1.25 (pinned): iterator-helper polyfill, Float16Array
// placeholder, init('wasm') and kernel threads (OPENLEDGER_JAX_THREADS; a worker_threads shim). Everything that touches
// jax-js goes through this module and `jax-model.ts`, so the dependency stays behind one interface.

type AnyIter = Iterator<unknown> & Record<string, unknown>;

function polyfillIteratorHelpers(): void {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<
    string,
    unknown
  >;
  if (typeof proto.map === 'function') return;
  const define = (name: string, fn: (this: AnyIter, ...args: never[]) => unknown): void => {
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true });
  };
  define('map', function* (this: AnyIter, f: (v: unknown, i: number) => unknown) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) yield f(r.value, i++);
  } as never);
  define('filter', function* (this: AnyIter, f: (v: unknown, i: number) => boolean) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) if (f(r.value, i++)) yield r.value;
  } as never);
  define('flatMap', function* (this: AnyIter, f: (v: unknown, i: number) => Iterable<unknown>) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) yield* f(r.value, i++);
  } as never);
  define('take', function* (this: AnyIter, n: number) {
    for (let k = 0; k < n; k++) {
      const r = this.next();
      if (r.done) return;
      yield r.value;
    }
  } as never);
  define('drop', function* (this: AnyIter, n: number) {
    for (let k = 0; k < n; k++) if (this.next().done) return;
    for (let r = this.next(); !r.done; r = this.next()) yield r.value;
  } as never);
  define('toArray', function (this: AnyIter) {
    const out: unknown[] = [];
    for (let r = this.next(); !r.done; r = this.next()) out.push(r.value);
    return out;
  } as never);
  define('forEach', function (this: AnyIter, f: (v: unknown, i: number) => void) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) f(r.value, i++);
  } as never);
  define('some', function (this: AnyIter, f: (v: unknown, i: number) => boolean) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) if (f(r.value, i++)) return true;
    return false;
  } as never);
  define('every', function (this: AnyIter, f: (v: unknown, i: number) => boolean) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) if (!f(r.value, i++)) return false;
    return true;
  } as never);
  define('find', function (this: AnyIter, f: (v: unknown, i: number) => boolean) {
    let i = 0;
    for (let r = this.next(); !r.done; r = this.next()) if (f(r.value, i++)) return r.value;
    return undefined;
  } as never);
  define('reduce', function (
    this: AnyIter,
    f: (a: unknown, v: unknown, i: number) => unknown,
    ...rest: unknown[]
  ) {
    let i = 0;
    let acc = rest[0];
    let r = this.next();
    if (rest.length === 0) {
      if (r.done) throw new TypeError('reduce of empty iterator with no initial value');
      acc = r.value;
      r = this.next();
      i = 1;
    }
    for (; !r.done; r = this.next()) acc = f(acc, r.value, i++);
    return acc;
  } as never);
}

let ready: Promise<typeof import('@jax-js/jax')> | null = null;

/**
 * Kernel threads for jax-js: `OPENLEDGER_JAX_THREADS` (default 1). With more than one, jax-js runs
 * its wasm kernels on a pool of worker threads over shared memory (the main thread only dispatches).
 */
export function jaxThreads(): number {
  const raw = process.env.OPENLEDGER_JAX_THREADS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new Error(`OPENLEDGER_JAX_THREADS must be an integer from 1 to 64, got ${JSON.stringify(raw)}`);
  return n;
}

const WORKER_PRELUDE = `
const { parentPort } = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (m) => parentPort.postMessage(m);
parentPort.on('message', (data) => { if (typeof self.onmessage === 'function') self.onmessage({ data }); });
`;

/**
 * jax-js creates its kernel workers as browser Workers from a blob: URL. Node 20 has neither, so
 * this gives it a minimal Worker over worker_threads: the blob's source runs after a prelude that
 * maps `self.onmessage` / `postMessage` onto the thread's port. Threads are unref'd so they never
 * keep a finished process alive.
 */
function installWorkerShim(threads: number): void {
  const g = globalThis as unknown as Record<string, unknown>;
  if (g.Worker !== undefined) return;
  Object.defineProperty(g, 'navigator', {
    value: { ...((g.navigator as object | undefined) ?? {}), hardwareConcurrency: threads },
    configurable: true,
    writable: true,
  });
  class ThreadWorker {
    onmessage: ((e: { data: unknown }) => void) | null = null;
    onerror: ((e: { message: string }) => void) | null = null;
    #thread: import('node:worker_threads').Worker | null = null;
    #queue: unknown[] = [];
    constructor(url: string | URL) {
      const blob = resolveObjectURL(String(url));
      if (!blob) throw new Error(`jax-js worker source ${String(url)} is not a blob URL`);
      void blob.text().then((src) => {
        const t = new NodeWorker(WORKER_PRELUDE + src, { eval: true });
        t.unref();
        t.on('message', (data: unknown) => this.onmessage?.({ data }));
        t.on('error', (err: Error) => this.onerror?.({ message: err.message }));
        this.#thread = t;
        for (const m of this.#queue) t.postMessage(m);
        this.#queue = [];
      });
    }
    postMessage(m: unknown): void {
      if (this.#thread) this.#thread.postMessage(m);
      else this.#queue.push(m);
    }
    terminate(): void {
      void this.#thread?.terminate();
    }
  }
  g.Worker = ThreadWorker;
}

/** Load and initialise jax-js once (wasm device; kernel threads per `jaxThreads()`). */
export function loadJax(): Promise<typeof import('@jax-js/jax')> {
  if (ready) return ready;
  ready = (async () => {
    polyfillIteratorHelpers();
    const g = globalThis as unknown as Record<string, unknown>;
    if (g.Float16Array === undefined) {
      g.Float16Array = class Float16ArrayPlaceholder {
        constructor() {
          throw new Error('float16 is not supported on this Node version');
        }
      };
    }
    const threads = jaxThreads();
    if (threads > 1) installWorkerShim(threads);
    const jax = await import('@jax-js/jax');
    await jax.init('wasm');
    jax.defaultDevice('wasm');
    return jax;
  })();
  return ready;
}
