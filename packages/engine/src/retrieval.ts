// Deterministic BM25 over Datanet rows (used to build the demo adapter's training contexts and for
// its evaluation; DESIGN §5 Retrieval). Ties are broken by row index.
export function words(text: string): string[] {
  return (
    text
      .toLowerCase()
      .normalize('NFC')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

export class Bm25 {
  readonly #docs: Map<string, number>[];
  readonly #len: number[];
  readonly #df = new Map<string, number>();
  readonly #avg: number;
  constructor(
    rows: string[],
    readonly k1 = 1.2,
    readonly b = 0.75,
  ) {
    this.#docs = rows.map((r) => {
      const m = new Map<string, number>();
      for (const w of words(r)) m.set(w, (m.get(w) ?? 0) + 1);
      return m;
    });
    this.#len = rows.map((r) => words(r).length);
    for (const d of this.#docs) for (const w of d.keys()) this.#df.set(w, (this.#df.get(w) ?? 0) + 1);
    this.#avg = this.#len.reduce((s, x) => s + x, 0) / Math.max(1, rows.length);
  }
  /** Indices of the top-k rows for a query, best first. */
  search(query: string, k: number): number[] {
    const q = [...new Set(words(query))];
    const N = this.#docs.length;
    const scored: [number, number][] = [];
    this.#docs.forEach((d, i) => {
      let s = 0;
      for (const w of q) {
        const tf = d.get(w);
        if (!tf) continue;
        const df = this.#df.get(w) ?? 0;
        const idf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
        s +=
          (idf * tf * (this.k1 + 1)) /
          (tf + this.k1 * (1 - this.b + (this.b * (this.#len[i] as number)) / this.#avg));
      }
      if (s > 0) scored.push([s, i]);
    });
    scored.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
    return scored.slice(0, k).map(([, i]) => i);
  }
}
