/**
 * The span index of one (Datanet, tokenizer): versions stored as checksummed files (the source of
 * truth), suffix-array segments over runs of versions, compaction that merges segments without changing
 * any answer, token counts per version, and row proofs.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type Hex, normalizeAddress, normalizeBytes32 } from '../rules/bytes.js';
import { AttributionError } from '../rules/errors.js';
import { merkleRoot } from '../rules/merkle.js';
import type { RowProof } from '../rules/rowProof.js';
import { rowHash } from '../rules/rows.js';
import type { Occurrence } from '../rules/spans.js';
import { VersionTree, versionLeaf } from '../rules/versions.js';
import { hexOf, sha256 } from './files.js';
import { Segment } from './segment.js';
import { readVersionFile, type VersionData, writeVersionFile } from './versionFile.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Largest token id the index accepts (2^24 − 1: ids fit the int32 symbol arrays and dense count tables). */
export const MAX_TOKEN_ID = 0xffffff;

export type CompactionPolicy = 'tiered' | 'manual';

export interface DatanetIndexOptions {
  /** Directory of this Datanet's index (created when missing). */
  dir: string;
  datanet: Hex | string;
  /** Hash of the tokenizer the index is built with. */
  tokenizerHash: Hex | string;
  /** Tokenises one row (needed when versions are added as text without tokens). */
  tokenize?: (text: string) => ArrayLike<number>;
  /**
   * 'tiered' (default): after each added version, merge the newest segments while the newest is at least
   * half the size of the one before (few segments, each token re-indexed O(log n) times overall).
   * 'manual': only `compact()` merges.
   */
  compaction?: CompactionPolicy;
  /** fsync every file written (default true; tests and benchmarks may turn it off). */
  durable?: boolean;
}

export interface AddVersionParameters {
  contributor: Hex | string;
  approvalHeight: bigint;
  /** The contribution's rows (text or exact UTF-8 bytes), in order. */
  rows: readonly (string | Uint8Array)[];
  /** Each row's token ids, when already tokenised; otherwise the index's tokenizer is used. */
  tokens?: readonly ArrayLike<number>[];
  /** The version number expected (refused unless it is the next one). */
  version?: number;
  /** The on-chain rowsRoot, checked when given. */
  rowsRoot?: Uint8Array;
}

interface Manifest {
  format: 1;
  datanet: Hex;
  tokenizerHash: Hex;
  versions: number;
  segments: [number, number][];
}

/** What opening the index found and repaired (never silently: a repair is listed here). */
export interface IndexRepair {
  file: string;
  problem: string;
  action: string;
}

export class DatanetIndex {
  readonly datanet: Hex;
  readonly tokenizerHash: Hex;
  readonly dir: string;
  readonly repairs: IndexRepair[] = [];
  private readonly versions: VersionData[] = [];
  private segments: Segment[] = [];
  private readonly tree = new VersionTree();
  /** tokensBefore[v] = tokens in versions < v+1 (prefix sums; tokensBefore[0] = 0). */
  private readonly tokensUpTo: number[] = [0];
  /** maxIdUpTo[v] = largest token id in versions ≤ v (−1 when none). */
  private readonly maxIdUpTo: number[] = [-1];
  private readonly countCache = new Map<number, Uint32Array>();
  private readonly rowTrees = new Map<number, VersionTree>();
  private readonly tokenize: ((text: string) => ArrayLike<number>) | undefined;
  private readonly policy: CompactionPolicy;
  private background: Promise<void> | null = null;
  private readonly durable: boolean;

  private constructor(options: DatanetIndexOptions) {
    this.dir = options.dir;
    this.datanet = normalizeBytes32(options.datanet);
    this.tokenizerHash = normalizeBytes32(options.tokenizerHash);
    this.tokenize = options.tokenize;
    this.policy = options.compaction ?? 'tiered';
    this.durable = options.durable ?? true;
  }

  /**
   * Opens (or creates) the index in `dir`. Every file is checked against its checksum: a corrupt
   * segment or manifest is rebuilt from the version files and listed in `repairs`; a corrupt version
   * file cannot be rebuilt here and throws INDEX_CORRUPT (re-index the Datanet from its blobs).
   *
   * PERF: reads every file; O(tokens) to lay out the text, plus SA-IS for any segment rebuilt.
   */
  static open(options: DatanetIndexOptions): DatanetIndex {
    const index = new DatanetIndex(options);
    mkdirSync(join(index.dir, 'versions'), { recursive: true });
    mkdirSync(join(index.dir, 'segments'), { recursive: true });
    index.load();
    return index;
  }

  /** Number of indexed versions (the latest indexed version). */
  get versionCount(): number {
    return this.versions.length;
  }

  /** The current segments as [firstVersion, lastVersion] runs. */
  get segmentRuns(): [number, number][] {
    return this.segments.map((s) => [s.firstVersion, s.lastVersion]);
  }

  /** Bytes held in memory by the segments. */
  get byteLength(): number {
    return this.segments.reduce((s, x) => s + x.byteLength, 0);
  }

  /** Tokens (separators excluded) in versions ≤ v. */
  tokenTotal(version = this.versionCount): number {
    this.checkVersion(version);
    return this.tokensUpTo[version]!;
  }

  private manifestPath(): string {
    return join(this.dir, 'manifest.json');
  }
  private versionPath(v: number): string {
    return join(this.dir, 'versions', `${String(v).padStart(8, '0')}.olv`);
  }
  private segmentPath(first: number, last: number): string {
    return join(
      this.dir,
      'segments',
      `${String(first).padStart(8, '0')}-${String(last).padStart(8, '0')}.ols`,
    );
  }

  private load(): void {
    const manifest = this.readManifest();
    const count = manifest?.versions ?? this.scanVersionFiles();
    for (let v = 1; v <= count; v++) this.acceptVersion(readVersionFile(this.versionPath(v), v));
    let runs = manifest?.segments ?? [];
    let expect = 1;
    const coverOk = runs.every(([a, b]) => {
      const ok = a === expect && b >= a && b <= count;
      expect = b + 1;
      return ok;
    });
    if (!coverOk || expect !== count + 1) {
      if (manifest !== null) {
        this.repairs.push({
          file: this.manifestPath(),
          problem: 'segments do not cover the versions',
          action: 'rebuilt',
        });
      }
      runs = count > 0 ? [[1, count]] : [];
    }
    for (const [a, b] of runs) {
      const path = this.segmentPath(a, b);
      const vs = this.versions.slice(a - 1, b);
      try {
        this.segments.push(Segment.load(path, vs));
      } catch (e) {
        if (!(e instanceof AttributionError) || e.code !== 'INDEX_CORRUPT') throw e;
        const seg = Segment.build(vs);
        seg.save(path, this.durable);
        this.segments.push(seg);
        this.repairs.push({ file: path, problem: e.shortMessage, action: 'rebuilt from the version files' });
      }
    }
    if (manifest === null || this.repairs.length > 0) this.writeManifest();
  }

  private readManifest(): Manifest | null {
    const path = this.manifestPath();
    if (!existsSync(path)) return null;
    try {
      const raw = JSON.parse(readFileSync(path, 'utf8')) as { body: Manifest; checksum: string };
      if (hexOf(sha256(encoder.encode(JSON.stringify(raw.body)))) !== raw.checksum)
        throw new Error('checksum mismatch');
      const m = raw.body;
      if (m.format !== 1) throw new Error(`unknown format ${String(m.format)}`);
      if (m.datanet !== this.datanet || m.tokenizerHash !== this.tokenizerHash) {
        throw new AttributionError(
          'INDEX_STATE',
          `index in ${this.dir} is for Datanet ${m.datanet} with tokenizer ${m.tokenizerHash}, not ${this.datanet} with ${this.tokenizerHash}`,
        );
      }
      return m;
    } catch (e) {
      if (e instanceof AttributionError) throw e;
      this.repairs.push({
        file: path,
        problem: (e as Error).message,
        action: 'rebuilt from the version files',
      });
      return null;
    }
  }

  private scanVersionFiles(): number {
    let v = 0;
    while (existsSync(this.versionPath(v + 1))) v++;
    return v;
  }

  private writeManifest(): void {
    const body: Manifest = {
      format: 1,
      datanet: this.datanet,
      tokenizerHash: this.tokenizerHash,
      versions: this.versions.length,
      segments: this.segmentRuns,
    };
    const text = JSON.stringify({ body, checksum: hexOf(sha256(encoder.encode(JSON.stringify(body)))) });
    const tmp = `${this.manifestPath()}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.manifestPath());
  }

  private acceptVersion(v: VersionData): void {
    const hashes: Uint8Array[] = [];
    for (let r = 0; r < v.rowCount; r++) hashes.push(v.rowHashes.subarray(32 * r, 32 * r + 32));
    const expectedFirstRow =
      this.versions.length === 0 ? 0 : this.versions.at(-1)!.firstRow + this.versions.at(-1)!.rowCount;
    const root = merkleRoot(hashes);
    if (v.firstRow !== expectedFirstRow || !root.every((b, i) => b === v.rowsRoot[i])) {
      throw new AttributionError(
        'INDEX_CORRUPT',
        `version ${v.version} of ${this.datanet} is inconsistent with the others`,
        {
          metaMessages: ['Re-run `attribution index` for this Datanet to rebuild it from its blobs.'],
        },
      );
    }
    this.tree.append(
      versionLeaf({
        contributor: v.contributor,
        version: v.version,
        firstRow: v.firstRow,
        rowCount: v.rowCount,
        rowsRoot: v.rowsRoot,
      }),
    );
    this.versions.push(v);
    this.tokensUpTo.push(this.tokensUpTo.at(-1)! + v.tokens.length);
    let max = this.maxIdUpTo.at(-1)!;
    for (const t of v.tokens) if (t > max) max = t;
    this.maxIdUpTo.push(max);
    // keep the newest version's count table current (O(tokens added)) so the first trace pinning it is fast
    if (max < 1 << 20 && (v.version === 1 || this.countCache.has(v.version - 1))) this.countsAt(v.version);
  }

  /**
   * Indexes the next version (one approved contribution) as a new segment, then compacts per the policy.
   * Returns the version number. PERF: O(rows' tokens) plus any compaction.
   */
  addVersion(p: AddVersionParameters): number {
    const version = this.versions.length + 1;
    if (p.version !== undefined && p.version !== version) {
      throw new AttributionError(
        'INDEX_STATE',
        `version ${p.version} cannot be indexed next: the index of ${this.datanet} holds versions 1..${version - 1}`,
      );
    }
    if (p.rows.length === 0) throw new AttributionError('NO_ROWS', 'a contribution with no rows is refused');
    const last = this.versions.at(-1);
    if (last !== undefined && p.approvalHeight < last.approvalHeight) {
      throw new AttributionError(
        'INVALID_ARGUMENT',
        `approval height ${p.approvalHeight} is below version ${last.version}'s`,
      );
    }
    if (p.tokens !== undefined && p.tokens.length !== p.rows.length) {
      throw new AttributionError('INVALID_ARGUMENT', 'give one token list per row');
    }
    const rowBytes = p.rows.map((r) => (typeof r === 'string' ? encoder.encode(r) : r));
    const rowTokens = rowBytes.map((bytes, i) => {
      const given = p.tokens?.[i];
      if (given !== undefined) return given;
      if (this.tokenize === undefined) {
        throw new AttributionError(
          'INVALID_ARGUMENT',
          'rows given as text need a tokenizer: pass `tokenize` or `tokens`',
        );
      }
      return this.tokenize(decoder.decode(bytes));
    });
    let total = 0;
    for (const t of rowTokens) total += t.length;
    const tokens = new Uint32Array(total);
    const rowLengths = new Uint32Array(rowTokens.length);
    let o = 0;
    rowTokens.forEach((t, r) => {
      rowLengths[r] = t.length;
      for (let k = 0; k < t.length; k++) {
        const id = t[k]!;
        if (!Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID) {
          throw new AttributionError(
            'INVALID_ARGUMENT',
            `row ${r}: token id ${id} is not an integer in 0..${MAX_TOKEN_ID}`,
          );
        }
        tokens[o++] = id;
      }
    });
    const rowHashes = new Uint8Array(32 * rowBytes.length);
    const hashes = rowBytes.map(rowHash);
    hashes.forEach((h, r) => {
      rowHashes.set(h, 32 * r);
    });
    const rowsRoot = merkleRoot(hashes);
    if (p.rowsRoot !== undefined && !rowsRoot.every((b, i) => b === p.rowsRoot![i])) {
      throw new AttributionError(
        'INVALID_ARGUMENT',
        `the rows do not give the rowsRoot ${hexOf(p.rowsRoot)}`,
      );
    }
    const data: VersionData = {
      version,
      contributor: normalizeAddress(p.contributor),
      approvalHeight: p.approvalHeight,
      firstRow: last === undefined ? 0 : last.firstRow + last.rowCount,
      rowCount: rowBytes.length,
      rowsRoot,
      rowLengths,
      tokens,
      rowHashes,
    };
    writeVersionFile(this.versionPath(version), data, this.durable);
    this.acceptVersion(data);
    const seg = Segment.build([data]);
    seg.save(this.segmentPath(version, version), this.durable);
    this.segments.push(seg);
    this.writeManifest();
    if (this.policy === 'tiered') this.compactTiered();
    return version;
  }

  private compactTiered(): void {
    if (this.background !== null) return;
    while (this.segments.length >= 2) {
      const a = this.segments.at(-2)!;
      const b = this.segments.at(-1)!;
      if (b.tokenCount * 2 < a.tokenCount) break;
      this.merge(this.segments.length - 2, this.segments.length);
    }
  }

  /** Replaces segments [from, to) by one segment over the same versions. */
  private merge(from: number, to: number): void {
    const olds = this.segments.slice(from, to);
    if (olds.length < 2) return;
    const first = olds[0]!.firstVersion;
    const last = olds.at(-1)!.lastVersion;
    this.install(olds, Segment.build(this.versions.slice(first - 1, last)));
  }

  /** Saves a merged segment and swaps it in for the run of segments it covers. */
  private install(olds: Segment[], seg: Segment): void {
    const from = this.segments.indexOf(olds[0]!);
    if (from < 0 || olds.some((o, k) => this.segments[from + k] !== o)) {
      throw new AttributionError('INDEX_STATE', 'segments changed during compaction');
    }
    seg.save(this.segmentPath(seg.firstVersion, seg.lastVersion), this.durable);
    this.segments.splice(from, olds.length, seg);
    this.writeManifest();
    for (const o of olds) {
      const path = this.segmentPath(o.firstVersion, o.lastVersion);
      if (existsSync(path)) unlinkSync(path);
    }
  }

  /**
   * Merges segments. `maxSegments` (default 1) bounds how many remain; the smallest neighbours merge
   * first. Answers never change (tests hold it to that). PERF: O(tokens merged) per merge.
   */
  compact(options: { maxSegments?: number } = {}): void {
    if (this.background !== null) {
      throw new AttributionError(
        'INDEX_STATE',
        'a background compaction is running: await compactInBackground() first',
      );
    }
    const max = Math.max(1, options.maxSegments ?? 1);
    while (this.segments.length > max) {
      let best = 0;
      let bestSize = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 1 < this.segments.length; i++) {
        const size = this.segments[i]!.tokenCount + this.segments[i + 1]!.tokenCount;
        if (size < bestSize) {
          bestSize = size;
          best = i;
        }
      }
      this.merge(best, best + 2);
    }
  }

  /**
   * Compaction in the background: suffix arrays are built in a worker thread while queries keep using the
   * current segments; each merged segment is swapped in when ready (a swap never changes an answer).
   * Resolves when done. Versions may be added meanwhile (they are not merged by this run).
   */
  compactInBackground(options: { maxSegments?: number } = {}): Promise<void> {
    if (this.background !== null) return this.background;
    const max = Math.max(1, options.maxSegments ?? 1);
    // plan: merge the oldest segments into runs so that at most `max` remain (of those existing now)
    const olds = this.segments.slice();
    if (olds.length <= max) return Promise.resolve();
    const groupSize = Math.ceil(olds.length / max);
    const groups: Segment[][] = [];
    for (let i = 0; i < olds.length; i += groupSize) groups.push(olds.slice(i, i + groupSize));
    const run = async () => {
      const worker = new Worker(new URL('./saWorker.js', import.meta.url));
      try {
        for (const group of groups) {
          if (group.length < 2) continue;
          const versions = this.versions.slice(group[0]!.firstVersion - 1, group.at(-1)!.lastVersion);
          const { text, upper } = Segment.textOf(versions);
          const sa = await new Promise<Int32Array>((resolve, reject) => {
            worker.once('message', (m: { sa?: Int32Array; error?: string }) =>
              m.sa
                ? resolve(m.sa)
                : reject(new AttributionError('INDEX_STATE', `background compaction failed: ${m.error}`)),
            );
            worker.once('error', reject);
            worker.postMessage({ id: 0, text, upper }, [text.buffer as ArrayBuffer]);
          });
          this.install(group, Segment.withSuffixArray(versions, sa));
        }
      } finally {
        await worker.terminate();
        this.background = null;
      }
    };
    this.background = run();
    return this.background;
  }

  private checkVersion(version: number): void {
    if (!Number.isInteger(version) || version < 1 || version > this.versions.length) {
      throw new AttributionError(
        'UNKNOWN_VERSION',
        version === 0
          ? `version 0 of Datanet ${this.datanet} (the empty Datanet) cannot be pinned`
          : `version ${version} of Datanet ${this.datanet} is not indexed (indexed: 1..${this.versions.length})`,
        { metaMessages: ['Index the missing versions with `attribution index` first.'] },
      );
    }
  }

  /** Dense counts per token id over versions ≤ v (cached). PERF: O(tokens added since the nearest cached version). */
  countsAt(version: number): Uint32Array {
    this.checkVersion(version);
    const hit = this.countCache.get(version);
    if (hit !== undefined) return hit;
    let base = 0;
    for (const k of this.countCache.keys()) if (k < version && k > base) base = k;
    let size = 0;
    for (let v = 0; v < version; v++)
      for (const t of this.versions[v]!.tokens) if (t + 1 > size) size = t + 1;
    const counts = new Uint32Array(size);
    if (base > 0) counts.set(this.countCache.get(base)!);
    for (let v = base; v < version; v++) for (const t of this.versions[v]!.tokens) counts[t] = counts[t]! + 1;
    if (this.countCache.size >= 8) this.countCache.delete(this.countCache.keys().next().value!);
    this.countCache.set(version, counts);
    return counts;
  }

  /** count(t) over versions ≤ v. */
  count(tokenId: number, version: number): number {
    return this.countsAt(version)[tokenId] ?? 0;
  }

  /**
   * For each position of `symbols` (token id + 1), the longest prefix occurring in a row of versions ≤ v,
   * folded into `into` by max. PERF: O(n · match · log tokens) per visible segment.
   */
  matchLengths(symbols: Int32Array, version: number, into: Int32Array): void {
    this.checkVersion(version);
    const counts = this.countsAt(version);
    for (const seg of this.segments) {
      if (seg.firstVersion > version) break;
      const limit = seg.limitFor(version);
      for (let i = 0; i < symbols.length; i++) {
        if ((counts[symbols[i]! - 1] ?? 0) === 0) continue;
        const m = seg.longestMatch(symbols, i, limit);
        if (m > into[i]!) into[i] = m;
      }
    }
  }

  private versionOfRow(rowIndex: number): VersionData {
    let lo = 0;
    let hi = this.versions.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.versions[mid]!.firstRow <= rowIndex) lo = mid;
      else hi = mid - 1;
    }
    return this.versions[lo]!;
  }

  private occurrenceAt(seg: Segment, position: number): Occurrence {
    const { rowIndex, rowOffset } = seg.locate(position);
    const v = this.versionOfRow(rowIndex);
    return {
      datanet: this.datanet,
      rowIndex: BigInt(rowIndex),
      rowOffset,
      approvalHeight: v.approvalHeight,
      contributor: v.contributor,
    };
  }

  /** Earliest occurrence in versions ≤ v (rows are laid out in row order, segments in version order). */
  earliest(symbols: Int32Array, offset: number, length: number, version: number): Occurrence | null {
    this.checkVersion(version);
    for (const seg of this.segments) {
      if (seg.firstVersion > version) break;
      const p = seg.earliest(symbols, offset, length, seg.limitFor(version));
      if (p >= 0) return this.occurrenceAt(seg, p);
    }
    return null;
  }

  /** Occurrences in versions ≤ v in row order: at most `max` of them, and their total. */
  occurrences(
    symbols: Int32Array,
    offset: number,
    length: number,
    version: number,
    max: number,
  ): { occurrences: Occurrence[]; total: number } {
    this.checkVersion(version);
    const out: Occurrence[] = [];
    let total = 0;
    for (const seg of this.segments) {
      if (seg.firstVersion > version) break;
      const r = seg.occurrences(
        symbols,
        offset,
        length,
        seg.limitFor(version),
        Math.max(0, max - out.length),
      );
      total += r.total;
      for (const p of r.positions) out.push(this.occurrenceAt(seg, p));
    }
    return { occurrences: out, total };
  }

  /** Root of version v (computed from the stored leaves; compare it with the chain's). */
  root(version: number): Uint8Array {
    this.checkVersion(version);
    return this.tree.root(version);
  }

  /** Number of rows in versions ≤ v. */
  rowCount(version = this.versionCount): number {
    if (version === 0) return 0;
    this.checkVersion(version);
    const v = this.versions[version - 1]!;
    return v.firstRow + v.rowCount;
  }

  /** The row's tokens (for display and for checks). */
  rowTokens(rowIndex: number): Uint32Array {
    const v = this.rowVersion(rowIndex);
    let start = 0;
    for (let r = v.firstRow; r < rowIndex; r++) start += v.rowLengths[r - v.firstRow]!;
    return v.tokens.subarray(start, start + v.rowLengths[rowIndex - v.firstRow]!);
  }

  private rowVersion(rowIndex: number): VersionData {
    if (!Number.isInteger(rowIndex) || rowIndex < 0 || rowIndex >= this.rowCount()) {
      throw new AttributionError('INVALID_ARGUMENT', `row ${rowIndex} is not in Datanet ${this.datanet}`);
    }
    return this.versionOfRow(rowIndex);
  }

  /** Approval height of a version. */
  approvalHeight(version: number): bigint {
    this.checkVersion(version);
    return this.versions[version - 1]!.approvalHeight;
  }

  /** Contributor, version and approval height of a row. */
  rowInfo(rowIndex: number): { contributor: Hex; version: number; approvalHeight: bigint } {
    const v = this.rowVersion(rowIndex);
    return { contributor: v.contributor, version: v.version, approvalHeight: v.approvalHeight };
  }

  /** The contribution's row tree with every complete subtree kept (paths in O(log² rows)); cached. */
  private rowTree(v: VersionData): VersionTree {
    let tree = this.rowTrees.get(v.version);
    if (tree === undefined) {
      tree = new VersionTree();
      for (let r = 0; r < v.rowCount; r++) tree.append(v.rowHashes.subarray(32 * r, 32 * r + 32));
      if (this.rowTrees.size >= 64) this.rowTrees.delete(this.rowTrees.keys().next().value!);
      this.rowTrees.set(v.version, tree);
    }
    return tree;
  }

  /** Two-level row proof of `rowIndex` against version `version`. */
  rowProof(rowIndex: number, version: number): RowProof {
    this.checkVersion(version);
    const v = this.rowVersion(rowIndex);
    if (v.version > version) {
      throw new AttributionError(
        'INVALID_ARGUMENT',
        `row ${rowIndex} was accepted in version ${v.version}, after ${version}`,
      );
    }
    return {
      contributor: v.contributor,
      contributionVersion: BigInt(v.version),
      firstRow: BigInt(v.firstRow),
      rowCount: BigInt(v.rowCount),
      rowPath: this.rowTree(v).inclusionProof(rowIndex - v.firstRow + 1, v.rowCount),
      versionPath: this.tree.inclusionProof(v.version, version),
    };
  }
}
