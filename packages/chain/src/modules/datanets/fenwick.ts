import { decode } from '@openledger/core';
import type { Ctx } from '../../context.js';
import type { StateReader } from '../../state/types.js';
import { readAmount, writeAmount } from '../shared/state.js';

/**
 * The reward-per-row tree of one Datanet (DESIGN §4.4, §4.6): a Fenwick tree over its versions where
 * a credit to version v adds to the reward-per-row of every row of versions ≤ v, and a contribution
 * accepted in version c has earned Σ_{v ≥ c} rewardPerRow[v] per row.
 *
 * It is the mirror image of the usual tree: node i holds Σ a[j] for j ∈ [i, i + lowbit(i)), an update
 * at v walks down (i −= lowbit i) and a suffix query from c walks up (i += lowbit i) while i ≤ size.
 * Updates never touch nodes above v, so appending versions needs no capacity and no rebalancing.
 *
 * PERF: add is O(log v) reads+writes; suffix is O(log size) reads.
 */
export type NodeKey = (index: bigint) => Uint8Array;

const lowbit = (i: bigint): bigint => i & -i;

/** Adds `delta` (reward per row, scaled by 10^18) at version `version` (≥ 1). */
export async function fenwickAdd(ctx: Ctx, key: NodeKey, version: bigint, delta: bigint): Promise<void> {
  if (delta === 0n) return;
  for (let i = version; i > 0n; i -= lowbit(i)) {
    const k = key(i);
    writeAmount(ctx, k, (await readAmount(ctx, k)) + delta);
  }
}

/** Σ rewardPerRow[v] for v ∈ [from, size]: what one row of version `from` has earned so far. */
export async function fenwickSuffix(ctx: Ctx, key: NodeKey, from: bigint, size: bigint): Promise<bigint> {
  let sum = 0n;
  for (let i = from; i >= 1n && i <= size; i += lowbit(i)) sum += await readAmount(ctx, key(i));
  return sum;
}

/** As {@link fenwickSuffix}, unmetered, for queries. */
export async function fenwickSuffixRead(
  state: StateReader,
  key: NodeKey,
  from: bigint,
  size: bigint,
): Promise<bigint> {
  let sum = 0n;
  for (let i = from; i >= 1n && i <= size; i += lowbit(i)) {
    const bytes = await state.get(key(i));
    if (bytes) sum += decode(bytes) as bigint;
  }
  return sum;
}
