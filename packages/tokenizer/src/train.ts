import { pairKey } from './bpe.js';
import { TokenizerError } from './errors.js';
import {
  MAX_VOCAB_SIZE,
  TOKENIZER_FORMAT,
  TOKENIZER_FORMAT_VERSION,
  type TokenizerFile,
  validateTokenizerFile,
} from './file.js';
import { PRETOKENIZER_ID, pieceEnd } from './pretokenize.js';
import { BYTE_TOKEN_COUNT, DEFAULT_SPECIAL_TOKENS } from './special.js';

/** Options of {@link trainBpe}. */
export interface TrainBpeOptions {
  /** Target vocabulary size: 256 bytes + special tokens + merges. */
  readonly vocabSize: number;
  /**
   * Extra special tokens, appended after the 8 fixed ones (`DEFAULT_SPECIAL_TOKENS`, ids 256..263), which every
   * vocabulary has. Default none.
   */
  readonly specialTokens?: readonly string[];
  /** Stop when the most frequent pair occurs fewer times than this. Default 2. */
  readonly minFrequency?: number;
  /** Called after each merge with (merges done, merges wanted). */
  readonly onProgress?: (done: number, total: number) => void;
}

const utf8Encoder = new TextEncoder();

/**
 * Trains a byte-level BPE vocabulary. Each string of `corpus` is pre-tokenised on its own (see
 * `pretokenize`); each step merges the most frequent adjacent pair within pre-tokens, ties broken by the
 * lower left id, then the lower right id, so the result depends only on the corpus and options. Stops at
 * `vocabSize` or when no pair occurs `minFrequency` times (the file's `vocabSize` is then smaller).
 *
 * PERF: one pass to count pre-tokens, then per merge only the words containing the merged pair are
 * updated (pair → words index and a lazy max-heap of pair counts).
 */
export function trainBpe(corpus: string | Iterable<string>, options: TrainBpeOptions): TokenizerFile {
  const specialTokens = [...DEFAULT_SPECIAL_TOKENS, ...(options.specialTokens ?? [])];
  const firstMergeId = BYTE_TOKEN_COUNT + specialTokens.length;
  const { vocabSize } = options;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < firstMergeId || vocabSize > MAX_VOCAB_SIZE) {
    throw new TokenizerError(
      'TOKENIZER_INVALID_OPTIONS',
      `vocabSize must be an integer from ${firstMergeId} (256 bytes + ${specialTokens.length} special tokens) ` +
        `to ${MAX_VOCAB_SIZE}, got ${String(vocabSize)}.`,
    );
  }
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isSafeInteger(minFrequency) || minFrequency < 1) {
    throw new TokenizerError(
      'TOKENIZER_INVALID_OPTIONS',
      `minFrequency must be a positive integer, got ${minFrequency}.`,
    );
  }
  const specialSeen = new Set<string>();
  for (const text of specialTokens) {
    if (typeof text !== 'string' || text.length === 0 || specialSeen.has(text)) {
      throw new TokenizerError(
        'TOKENIZER_INVALID_OPTIONS',
        `special tokens must be distinct non-empty strings; ${JSON.stringify(text)} is not.`,
      );
    }
    specialSeen.add(text);
  }

  // 1. Count pre-tokens.
  const pieceCounts = new Map<string, number>();
  for (const text of typeof corpus === 'string' ? [corpus] : corpus) {
    for (let start = 0; start < text.length; ) {
      const end = pieceEnd(text, start);
      const piece = text.slice(start, end);
      pieceCounts.set(piece, (pieceCounts.get(piece) ?? 0) + 1);
      start = end;
    }
  }

  // 2. Words (pieces of two or more bytes) with counts; pair counts and the pair → words index.
  const words: number[][] = [];
  const wordCounts: number[] = [];
  for (const [piece, count] of pieceCounts) {
    const bytes = utf8Encoder.encode(piece);
    if (bytes.length < 2) continue;
    words.push(Array.from(bytes));
    wordCounts.push(count);
  }
  pieceCounts.clear();
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const addPairWord = (key: number, word: number): void => {
    const list = pairWords.get(key);
    if (list === undefined) pairWords.set(key, [word]);
    else if (list[list.length - 1] !== word) list.push(word);
  };
  words.forEach((word, index) => {
    const count = wordCounts[index]!;
    for (let i = 0; i + 1 < word.length; i++) {
      const key = pairKey(word[i]!, word[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      addPairWord(key, index);
    }
  });

  const heap = new PairHeap();
  for (const [key, count] of pairCounts) heap.push(count, key);

  // 3. Merge.
  const wantedMerges = vocabSize - firstMergeId;
  const merges: [number, number][] = [];
  const stamp = new Int32Array(words.length).fill(-1);
  while (merges.length < wantedMerges && heap.size > 0) {
    const { count, key } = heap.pop();
    if ((pairCounts.get(key) ?? 0) !== count) continue; // stale entry
    if (count < minFrequency) break;
    const left = Math.floor(key / 1048576);
    const right = key % 1048576;
    const mergeIndex = merges.length;
    const newId = firstMergeId + mergeIndex;
    merges.push([left, right]);
    const changed = new Set<number>();
    for (const wordIndex of pairWords.get(key) ?? []) {
      if (stamp[wordIndex] === mergeIndex) continue;
      stamp[wordIndex] = mergeIndex;
      const word = words[wordIndex]!;
      let found = false;
      for (let i = 0; i + 1 < word.length; i++) {
        if (word[i] === left && word[i + 1] === right) {
          found = true;
          break;
        }
      }
      if (!found) continue;
      const wordCount = wordCounts[wordIndex]!;
      for (let i = 0; i + 1 < word.length; i++) {
        const pair = pairKey(word[i]!, word[i + 1]!);
        const remaining = pairCounts.get(pair)! - wordCount;
        if (remaining === 0) pairCounts.delete(pair);
        else pairCounts.set(pair, remaining);
        changed.add(pair);
      }
      const merged: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
          merged.push(newId);
          i++;
        } else {
          merged.push(word[i]!);
        }
      }
      for (let i = 0; i + 1 < merged.length; i++) {
        const pair = pairKey(merged[i]!, merged[i + 1]!);
        pairCounts.set(pair, (pairCounts.get(pair) ?? 0) + wordCount);
        changed.add(pair);
        if (merged[i] === newId || merged[i + 1] === newId) addPairWord(pair, wordIndex);
      }
      words[wordIndex] = merged;
    }
    pairWords.delete(key);
    for (const pair of changed) {
      const current = pairCounts.get(pair);
      if (current === undefined) pairWords.delete(pair);
      else heap.push(current, pair);
    }
    options.onProgress?.(merges.length, wantedMerges);
  }

  const file: TokenizerFile = {
    format: TOKENIZER_FORMAT,
    version: TOKENIZER_FORMAT_VERSION,
    pretokenizer: PRETOKENIZER_ID,
    vocabSize: firstMergeId + merges.length,
    byteTokens: BYTE_TOKEN_COUNT,
    specialTokens: specialTokens.map((text, index) => ({ id: BYTE_TOKEN_COUNT + index, text })),
    merges,
  };
  validateTokenizerFile(file);
  return file;
}

/** Max-heap of (count, pair key): higher count first, then lower key (lower left id, then lower right id). */
class PairHeap {
  readonly #counts: number[] = [];
  readonly #keys: number[] = [];

  get size(): number {
    return this.#counts.length;
  }

  #before(countA: number, keyA: number, countB: number, keyB: number): boolean {
    return countA > countB || (countA === countB && keyA < keyB);
  }

  push(count: number, key: number): void {
    const counts = this.#counts;
    const keys = this.#keys;
    let index = counts.length;
    counts.push(count);
    keys.push(key);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.#before(count, key, counts[parent]!, keys[parent]!)) break;
      counts[index] = counts[parent]!;
      keys[index] = keys[parent]!;
      index = parent;
    }
    counts[index] = count;
    keys[index] = key;
  }

  pop(): { count: number; key: number } {
    const counts = this.#counts;
    const keys = this.#keys;
    const top = { count: counts[0]!, key: keys[0]! };
    const lastCount = counts.pop()!;
    const lastKey = keys.pop()!;
    if (counts.length > 0) {
      let index = 0;
      for (;;) {
        const leftChild = 2 * index + 1;
        if (leftChild >= counts.length) break;
        const rightChild = leftChild + 1;
        const child =
          rightChild < counts.length &&
          this.#before(counts[rightChild]!, keys[rightChild]!, counts[leftChild]!, keys[leftChild]!)
            ? rightChild
            : leftChild;
        if (!this.#before(counts[child]!, keys[child]!, lastCount, lastKey)) break;
        counts[index] = counts[child]!;
        keys[index] = keys[child]!;
        index = child;
      }
      counts[index] = lastCount;
      keys[index] = lastKey;
    }
    return top;
  }
}
