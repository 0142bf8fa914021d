// A small WebAssembly SIMD kernel for y = x · Wᵀ (the matmuls of the typed-array forward pass).
// Source: packages/engine/wasm/matmul.wat, assembled with wabt (scripts: see README); the bytes are
// inlined so nothing is built or fetched at run time. Weights are copied into the module's memory once.

const MATMUL_WASM_BASE64 =
  'AGFzbQEAAAABCgFgBn9/f39/fwACDwEDZW52Bm1lbW9yeQIAAQMCAQAHCwEHbWF0bXVsVAAACokCAYYCAwV/AnsCfyACQQJ0IQ1BACEGAkADQCAGIARPDQEgAyAGIA1saiEJQQAhBwJAA0AgByABTw0BIAAgByANbGohCv0MAAAAAAAAAAAAAAAAAAAAACEL/QwAAAAAAAAAAAAAAAAAAAAAIQxBACEIAkADQCAIIA1PDQEgCyAKIAhq/QAEACAJIAhq/QAEAP3mAf3kASELIAwgCiAIav0ABBAgCSAIav0ABBD95gH95AEhDCAIQSBqIQgMAAsLIAsgDP3kASELIAUgByAEbCAGakECdGohDiAOIAv9HwAgC/0fAZIgC/0fAiAL/R8DkpI4AgAgB0EBaiEHDAALCyAGQQFqIQYMAAsLCw==';

type WasmMemory = { buffer: ArrayBuffer; grow(pages: number): number };
type WasmModule = object;
const WA = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => WasmModule;
      Instance: new (m: WasmModule, imports: object) => { exports: Record<string, unknown> };
      Memory: new (d: { initial: number }) => WasmMemory;
    };
  }
).WebAssembly;

type Kernel = (x: number, n: number, inn: number, w: number, out: number, y: number) => void;

let compiled: WasmModule | null | undefined;

function module(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = new WA.Module(Buffer.from(MATMUL_WASM_BASE64, 'base64'));
    } catch {
      compiled = null; // no SIMD: the caller falls back to plain JS loops
    }
  }
  return compiled;
}

export class WasmMatmul {
  #mem: WasmMemory;
  #fn: Kernel;
  #f32: Float32Array;
  #top = 0;
  readonly #offsets = new WeakMap<Float32Array, number>();

  private constructor(mod: WasmModule) {
    this.#mem = new WA.Memory({ initial: 1 });
    const inst = new WA.Instance(mod, { env: { memory: this.#mem } });
    this.#fn = inst.exports.matmulT as Kernel;
    this.#f32 = new Float32Array(this.#mem.buffer);
  }

  static create(): WasmMatmul | null {
    const m = module();
    return m ? new WasmMatmul(m) : null;
  }

  #ensure(bytes: number): void {
    const need = bytes - this.#mem.buffer.byteLength;
    if (need > 0) {
      this.#mem.grow(Math.ceil(need / 65536));
      this.#f32 = new Float32Array(this.#mem.buffer);
    }
  }

  /** Copy a weight matrix into the module's memory (once). */
  add(w: Float32Array): void {
    if (this.#offsets.has(w)) return;
    const off = this.#top;
    this.#ensure(off + w.length * 4);
    this.#f32.set(w, off / 4);
    this.#offsets.set(w, off);
    this.#top = off + Math.ceil((w.length * 4) / 16) * 16;
  }

  /** y[n, out] = x[n, in] · Wᵀ for a registered W; null when it cannot (W unknown or in % 8 ≠ 0). */
  matmulT(x: Float32Array, n: number, inn: number, w: Float32Array, out: number): Float32Array | null {
    const wOff = this.#offsets.get(w);
    if (wOff === undefined || inn % 8 !== 0) return null;
    const xOff = this.#top;
    const yOff = xOff + Math.ceil((n * inn * 4) / 16) * 16;
    this.#ensure(yOff + n * out * 4);
    this.#f32.set(x.subarray(0, n * inn), xOff / 4);
    this.#fn(xOff, n, inn, wOff, out, yOff);
    return this.#f32.slice(yOff / 4, yOff / 4 + n * out);
  }
}
