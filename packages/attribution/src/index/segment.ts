/**
 * An index segment: the suffix array over the token stream of a run of consecutive versions (each row
 * tokenised on its own and followed by a separator that matches nothing), with the map from text
 * position to row. Text symbols are token id + 1; 0 is the separator.
 */
import { AttributionError } from '../rules/errors.js';
import { hexOf, readChecked, SectionReader, sha256, writeChecked } from './files.js';
import { RangeMin } from './rangeMin.js';
import { suffixArray } from './sais.js';
import type { VersionData } from './versionFile.js';

const MAGIC = 'OLS1';

export class Segment {
  readonly firstVersion: number;
  readonly lastVersion: number;
  /** Global index of the segment's first row. */
  readonly firstRow: number;
  readonly text: Uint16Array | Uint32Array;
  readonly sa: Int32Array;
  /** Text position of each row's first token; one extra entry = text length. */
  readonly rowStarts: Uint32Array;
  /** Text position where each version of the segment starts; one extra entry = text length. */
  readonly versionStarts: Uint32Array;
  readonly rmq: RangeMin;
  /** bucket[c] = first SA index whose suffix starts with symbol c (c ≤ 65,536; empty for wider alphabets). */
  private readonly bucket: Int32Array;
  /** Tokens (separators excluded). */
  readonly tokenCount: number;

  private constructor(layout: Layout, sa: Int32Array | null) {
    this.firstVersion = layout.firstVersion;
    this.lastVersion = layout.lastVersion;
    this.firstRow = layout.firstRow;
    this.tokenCount = layout.tokenCount;
    this.text = layout.text;
    this.rowStarts = layout.rowStarts;
    this.versionStarts = layout.versionStarts;
    this.sa = sa ?? suffixArray(...saInput(layout.text, layout.maxSymbol));
    this.rmq = new RangeMin(this.sa);
    this.bucket = buckets(layout.text, layout.maxSymbol);
  }

  /** Builds a segment over consecutive versions. PERF: O(tokens) (SA-IS). */
  static build(versions: readonly VersionData[]): Segment {
    return new Segment(layout(versions), null);
  }

  /** The text a segment over these versions would index, and its largest symbol (for SA-IS elsewhere). */
  static textOf(versions: readonly VersionData[]): {
    text: Uint16Array | Uint32Array | Int32Array;
    upper: number;
  } {
    const lay = layout(versions);
    const [text, upper] = saInput(lay.text, lay.maxSymbol);
    return { text, upper };
  }

  /** A segment from a suffix array built elsewhere (a worker); checked to be a permutation. */
  static withSuffixArray(versions: readonly VersionData[], sa: Int32Array): Segment {
    const lay = layout(versions);
    const n = lay.text.length;
    const seen = new Uint8Array(n);
    if (sa.length !== n) throw new AttributionError('INDEX_STATE', 'suffix array has the wrong length');
    for (let j = 0; j < n; j++) {
      const p = sa[j]!;
      if (p < 0 || p >= n || seen[p])
        throw new AttributionError('INDEX_STATE', 'suffix array is not a permutation');
      seen[p] = 1;
    }
    return new Segment(lay, sa);
  }

  /**
   * Loads a segment file; verifies its checksum and that it was built from exactly these versions' text.
   * Throws INDEX_CORRUPT otherwise (the caller rebuilds).
   */
  static load(path: string, versions: readonly VersionData[]): Segment {
    const { header, body } = readChecked(path, MAGIC);
    const lay = layout(versions);
    const n = lay.text.length;
    if (
      header.firstVersion !== lay.firstVersion ||
      header.lastVersion !== lay.lastVersion ||
      header.n !== n ||
      header.textDigest !== hexOf(textDigest(lay.text))
    ) {
      throw new AttributionError('INDEX_CORRUPT', `index file ${path} does not match the versions it covers`);
    }
    const sa = new SectionReader(body, path).i32(n);
    for (let j = 0; j < n; j++) {
      if (sa[j]! >>> 0 >= n)
        throw new AttributionError('INDEX_CORRUPT', `index file ${path} has an entry out of range`);
    }
    return new Segment(lay, sa);
  }

  save(path: string, durable = true): number {
    return writeChecked(
      path,
      MAGIC,
      {
        firstVersion: this.firstVersion,
        lastVersion: this.lastVersion,
        n: this.text.length,
        textDigest: hexOf(textDigest(this.text)),
      },
      [this.sa],
      durable,
    );
  }

  /** Bytes held in memory (text, suffix array, row and version maps, range-min). */
  get byteLength(): number {
    return (
      this.text.byteLength +
      this.sa.byteLength +
      this.rowStarts.byteLength +
      this.versionStarts.byteLength +
      this.rmq.byteLength
    );
  }

  /** Text positions below the returned limit belong to versions ≤ v. */
  limitFor(version: number): number {
    if (version >= this.lastVersion) return this.text.length;
    if (version < this.firstVersion) return 0;
    return this.versionStarts[version - this.firstVersion + 1]!;
  }

  /**
   * Narrows [lo, hi) — suffixes sharing a prefix of `depth` symbols — to those whose next symbol is `c`.
   * Returns the new bounds packed in a pair, or null when none.
   */
  private narrow(lo: number, hi: number, depth: number, c: number, out: Int32Array): boolean {
    const { text, sa } = this;
    const n = text.length;
    const at = (j: number) => {
      const p = sa[j]! + depth;
      return p < n ? text[p]! : -1;
    };
    let a = lo;
    let b = hi;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (at(mid) < c) a = mid + 1;
      else b = mid;
    }
    const start = a;
    b = hi;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (at(mid) <= c) a = mid + 1;
      else b = mid;
    }
    if (start === a) return false;
    out[0] = start;
    out[1] = a;
    return true;
  }

  /**
   * The longest prefix of symbols[i..] occurring in a visible row (text position < limit).
   * Fully visible segment: one binary search for the insertion point of symbols[i..] with the
   * Manber–Myers lcp bounds, O(log n + match) comparisons; the longest match is with a neighbour of the
   * insertion point. Partly visible: narrow symbol by symbol, checking visibility with the range-min.
   */
  longestMatch(symbols: Int32Array, i: number, limit: number): number {
    if (limit === 0) return 0;
    if (limit < this.text.length) return this.longestVisibleMatch(symbols, i, limit);
    const { text, sa } = this;
    const n = text.length;
    const m = symbols.length - i;
    let lo = -1;
    let hi = sa.length;
    let llo = 0;
    let lhi = 0;
    const c = symbols[i]!;
    if (c + 1 < this.bucket.length) {
      // start inside the first symbol's bucket: every suffix there shares that symbol
      lo = this.bucket[c]! - 1;
      hi = this.bucket[c + 1]!;
      if (hi - lo <= 1) return 0;
      llo = 1;
      lhi = 1;
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      const p = sa[mid]!;
      let k = Math.min(llo, lhi);
      while (k < m && p + k < n && text[p + k] === symbols[i + k]) k++;
      // suffix < pattern when the suffix ends first or has a smaller symbol at the mismatch
      if (k < m && (p + k >= n || text[p + k]! < symbols[i + k]!)) {
        lo = mid;
        llo = k;
      } else {
        hi = mid;
        lhi = k;
      }
    }
    return Math.max(llo, lhi);
  }

  private longestVisibleMatch(symbols: Int32Array, i: number, limit: number): number {
    let lo = 0;
    let hi = this.sa.length;
    const out = new Int32Array(2);
    let k = 0;
    while (i + k < symbols.length) {
      if (!this.narrow(lo, hi, k, symbols[i + k]!, out)) break;
      if (this.rmq.min(out[0]!, out[1]!) >= limit) break;
      lo = out[0]!;
      hi = out[1]!;
      k++;
    }
    return k;
  }

  /** SA interval of symbols[offset, offset+length), or null. */
  interval(symbols: Int32Array, offset: number, length: number): [number, number] | null {
    let lo = 0;
    let hi = this.sa.length;
    const out = new Int32Array(2);
    for (let k = 0; k < length; k++) {
      if (!this.narrow(lo, hi, k, symbols[offset + k]!, out)) return null;
      lo = out[0]!;
      hi = out[1]!;
    }
    return [lo, hi];
  }

  /** Earliest visible text position of symbols[offset, offset+length), or -1. */
  earliest(symbols: Int32Array, offset: number, length: number, limit: number): number {
    const iv = this.interval(symbols, offset, length);
    if (iv === null) return -1;
    const p = this.rmq.min(iv[0], iv[1]);
    return p < limit ? p : -1;
  }

  /** Visible occurrences (text positions, ascending) of symbols[offset, offset+length), at most `max`. */
  occurrences(
    symbols: Int32Array,
    offset: number,
    length: number,
    limit: number,
    max: number,
  ): { positions: number[]; total: number } {
    const iv = this.interval(symbols, offset, length);
    if (iv === null) return { positions: [], total: 0 };
    const all: number[] = [];
    for (let j = iv[0]; j < iv[1]; j++) if (this.sa[j]! < limit) all.push(this.sa[j]!);
    all.sort((a, b) => a - b);
    return { positions: all.slice(0, max), total: all.length };
  }

  /** Text position → (global row index, token offset in the row). */
  locate(position: number): { rowIndex: number; rowOffset: number } {
    const rs = this.rowStarts;
    let lo = 0;
    let hi = rs.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (rs[mid]! <= position) lo = mid;
      else hi = mid - 1;
    }
    return { rowIndex: this.firstRow + lo, rowOffset: position - rs[lo]! };
  }
}

/** First SA index of each symbol's bucket (counting sort order), for alphabets up to 2^16 symbols. */
function buckets(text: Uint16Array | Uint32Array, maxSymbol: number): Int32Array {
  if (maxSymbol > 0xffff) return new Int32Array(0);
  const b = new Int32Array(maxSymbol + 2);
  for (let i = 0; i < text.length; i++) b[text[i]! + 1]!++;
  for (let c = 1; c < b.length; c++) b[c] = b[c]! + b[c - 1]!;
  return b;
}

/**
 * SA-IS needs O(alphabet) memory: a sparse alphabet (large token ids) is first mapped to dense ranks,
 * which keeps the order and so the suffix array.
 */
function saInput(
  text: Uint16Array | Uint32Array,
  maxSymbol: number,
): [Uint16Array | Uint32Array | Int32Array, number] {
  if (maxSymbol <= Math.max(1 << 16, text.length)) return [text, maxSymbol];
  const distinct = Uint32Array.from(new Set(text)).sort();
  const rank = new Map<number, number>();
  distinct.forEach((sym, i) => {
    rank.set(sym, i);
  });
  return [Int32Array.from(text, (sym) => rank.get(sym)!), distinct.length - 1];
}

interface Layout {
  firstVersion: number;
  lastVersion: number;
  firstRow: number;
  tokenCount: number;
  maxSymbol: number;
  text: Uint16Array | Uint32Array;
  rowStarts: Uint32Array;
  versionStarts: Uint32Array;
}

function layout(versions: readonly VersionData[]): Layout {
  const first = versions[0];
  if (first === undefined) throw new AttributionError('INDEX_STATE', 'a segment needs at least one version');
  let tokens = 0;
  let rows = 0;
  let maxSymbol = 0;
  for (const v of versions) {
    tokens += v.tokens.length;
    rows += v.rowCount;
    for (const t of v.tokens) if (t + 1 > maxSymbol) maxSymbol = t + 1;
  }
  const n = tokens + rows;
  const text = maxSymbol <= 0xffff ? new Uint16Array(n) : new Uint32Array(n);
  const rowStarts = new Uint32Array(rows + 1);
  const versionStarts = new Uint32Array(versions.length + 1);
  let pos = 0;
  let row = 0;
  versions.forEach((v, vi) => {
    versionStarts[vi] = pos;
    let t = 0;
    for (let r = 0; r < v.rowCount; r++) {
      rowStarts[row++] = pos;
      const len = v.rowLengths[r]!;
      for (let k = 0; k < len; k++) text[pos++] = v.tokens[t++]! + 1;
      text[pos++] = 0;
    }
  });
  rowStarts[rows] = n;
  versionStarts[versions.length] = n;
  return {
    firstVersion: first.version,
    lastVersion: versions[versions.length - 1]!.version,
    firstRow: first.firstRow,
    tokenCount: tokens,
    maxSymbol,
    text,
    rowStarts,
    versionStarts,
  };
}

function textDigest(text: Uint16Array | Uint32Array): Uint8Array {
  return sha256(
    new Uint8Array(text.buffer, text.byteOffset, text.byteLength),
    Uint8Array.of(text.BYTES_PER_ELEMENT),
  );
}
