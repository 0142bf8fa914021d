/**
 * Range minimum over an int array with a hierarchy of block minima (fanout 32): about n/31 extra int32.
 * Used over the suffix array to find the earliest text position in an SA interval, which (rows being laid
 * out in row order) is the earliest occurrence and tells whether any occurrence is in a visible version.
 *
 * PERF: build O(n); query O(32 · log_32 n).
 */
const B = 32;

export class RangeMin {
  private readonly levels: Int32Array[] = [];

  constructor(private readonly base: Int32Array) {
    let cur: Int32Array = base;
    while (cur.length > B) {
      const next = new Int32Array(Math.ceil(cur.length / B));
      for (let b = 0; b < next.length; b++) {
        let m = 0x7fffffff;
        const end = Math.min(cur.length, (b + 1) * B);
        for (let i = b * B; i < end; i++) if (cur[i]! < m) m = cur[i]!;
        next[b] = m;
      }
      this.levels.push(next);
      cur = next;
    }
  }

  /** Extra bytes held besides the base array. */
  get byteLength(): number {
    return this.levels.reduce((s, l) => s + l.byteLength, 0);
  }

  /** Minimum of base[lo, hi); 0x7fffffff for an empty range. */
  min(lo: number, hi: number): number {
    return this.minAt(-1, lo, hi);
  }

  private minAt(level: number, lo: number, hi: number): number {
    const arr = level < 0 ? this.base : this.levels[level]!;
    let m = 0x7fffffff;
    if (hi - lo <= 2 * B) {
      for (let i = lo; i < hi; i++) if (arr[i]! < m) m = arr[i]!;
      return m;
    }
    // arr is longer than 2B here, so the next level exists
    const bLo = Math.ceil(lo / B);
    const bHi = Math.floor(hi / B);
    for (let i = lo; i < bLo * B; i++) if (arr[i]! < m) m = arr[i]!;
    for (let i = bHi * B; i < hi; i++) if (arr[i]! < m) m = arr[i]!;
    if (bLo < bHi) {
      const inner = this.minAt(level + 1, bLo, bHi);
      if (inner < m) m = inner;
    }
    return m;
  }
}
