// Node 20 environment for @jax-js/jax 0.1.25 (pinned): iterator-helper polyfill, Float16Array
// placeholder and init('wasm'), single-threaded (the machine's 2 cores are shared). Everything that touches
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

/** Load and initialise jax-js once (wasm device, one thread). */
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
    const jax = await import('@jax-js/jax');
    await jax.init('wasm');
    jax.defaultDevice('wasm');
    return jax;
  })();
  return ready;
}
