/**
 * Applies BPE merges to one pre-token (its bytes), the GPT-2 way: repeatedly merge the adjacent pair with the
 * lowest merge rank, all its occurrences left to right. Two implementations give the same result:
 * a rescan loop for short pieces and a heap over a linked list for long ones.
 */

/** Pair key of two token ids (ids are below 2^20). */
export function pairKey(left: number, right: number): number {
  return left * 1048576 + right;
}

/** Pieces up to this many bytes use the rescan loop; longer ones the heap. */
export const SHORT_PIECE_BYTES = 48;

/**
 * Merges `bytes` (token ids of one piece) with `ranks` (pair key → merge index); merge `r` creates id
 * `firstMergeId + r`. Returns the token ids.
 *
 * PERF: O(n²) worst case for the rescan path (n ≤ {@link SHORT_PIECE_BYTES}), O(n log n) for the heap path.
 */
export function bpeMerge(
  bytes: ArrayLike<number>,
  ranks: Map<number, number>,
  firstMergeId: number,
): number[] {
  if (bytes.length > SHORT_PIECE_BYTES) return bpeMergeHeap(bytes, ranks, firstMergeId);
  return bpeMergeRescan(bytes, ranks, firstMergeId);
}

/** The rescan loop: find the lowest-ranked pair, merge all its occurrences, repeat. */
export function bpeMergeRescan(
  bytes: ArrayLike<number>,
  ranks: Map<number, number>,
  firstMergeId: number,
): number[] {
  let parts = Array.from(bytes);
  while (parts.length > 1) {
    let bestRank = -1;
    let bestIndex = 0;
    for (let i = 0; i + 1 < parts.length; i++) {
      const rank = ranks.get(pairKey(parts[i]!, parts[i + 1]!));
      if (rank !== undefined && (bestRank < 0 || rank < bestRank)) {
        bestRank = rank;
        bestIndex = i;
      }
    }
    if (bestRank < 0) break;
    const newId = firstMergeId + bestRank;
    const left = parts[bestIndex]!;
    const right = parts[bestIndex + 1]!;
    const merged: number[] = parts.slice(0, bestIndex);
    for (let i = bestIndex; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === left && i + 1 < parts.length && parts[i + 1] === right) {
        merged.push(newId);
        i++;
      } else {
        merged.push(part);
      }
    }
    parts = merged;
  }
  return parts;
}

/**
 * The heap path: a min-heap of (rank, position) over a doubly linked list of tokens. Popping in (rank,
 * position) order is the GPT-2 order, because a merge only creates pairs of a higher rank than its own.
 */
export function bpeMergeHeap(
  bytes: ArrayLike<number>,
  ranks: Map<number, number>,
  firstMergeId: number,
): number[] {
  const n = bytes.length;
  if (n === 0) return [];
  const tokens = Array.from(bytes);
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const POSITION = 4294967296; // heap key = rank * 2^32 + position
  const heap: number[] = [];
  const push = (key: number): void => {
    let index = heap.length;
    heap.push(key);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (heap[parent]! <= key) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = key;
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]! < heap[left]! ? right : left;
        if (heap[child]! >= last) break;
        heap[index] = heap[child]!;
        index = child;
      }
      heap[index] = last;
    }
    return top;
  };
  const pushPair = (position: number): void => {
    if (position < 0) return;
    const after = next[position]!;
    if (after < 0) return;
    const rank = ranks.get(pairKey(tokens[position]!, tokens[after]!));
    if (rank !== undefined) push(rank * POSITION + position);
  };
  for (let i = 0; i + 1 < n; i++) pushPair(i);
  while (heap.length > 0) {
    const key = pop();
    const position = key % POSITION;
    const rank = (key - position) / POSITION;
    const after = next[position]!;
    if (tokens[position]! < 0 || after < 0) continue;
    if (ranks.get(pairKey(tokens[position]!, tokens[after]!)) !== rank) continue;
    tokens[position] = firstMergeId + rank;
    tokens[after] = -1;
    const afterNext = next[after]!;
    next[position] = afterNext;
    if (afterNext >= 0) prev[afterNext] = position;
    const before = prev[position]!;
    if (before >= 0) pushPair(before);
    pushPair(position);
  }
  const result: number[] = [];
  for (let i = 0; i >= 0; i = next[i]!) result.push(tokens[i]!);
  return result;
}
