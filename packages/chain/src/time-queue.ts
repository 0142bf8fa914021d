import { concatBytes, decode, u64be, type Value } from '@openledger/core';
import type { Ctx } from './context.js';

const U64_MAX = (1n << 64n) - 1n;

/** One entry of a time queue: due at block time `due`, with a sequence id unique in the queue. */
export type QueueEntry = { due: bigint; id: bigint; value: Value };

/**
 * A queue of entries that fall due at a block time, stored under `<prefix><due u64be><id u64be>` so
 * that state iteration returns them in (due, id) order. Used for unbonding releases, slash expiries,
 * and the proposal timetable.
 * PERF: push and remove are one write; `due` reads O(log n + entries returned) in an ordered store.
 */
export class TimeQueue {
  constructor(readonly prefix: Uint8Array) {}

  key(due: bigint, id: bigint): Uint8Array {
    return concatBytes(this.prefix, u64be(due), u64be(id));
  }

  push(ctx: Ctx, due: bigint, id: bigint, value: Value): void {
    ctx.setValue(this.key(due, id), value);
  }

  remove(ctx: Ctx, due: bigint, id: bigint): void {
    ctx.delete(this.key(due, id));
  }

  /** Up to `limit` entries due at or before `now`, oldest first (read before any change is made). */
  async due(ctx: Ctx, now: bigint, limit: number): Promise<QueueEntry[]> {
    const out: QueueEntry[] = [];
    if (now < 0n) return out;
    const lte = this.key(now > U64_MAX ? U64_MAX : now, U64_MAX);
    for await (const [key, value] of ctx.iterate(this.prefix, { lte, limit })) {
      const view = new DataView(key.buffer, key.byteOffset + this.prefix.length, 16);
      out.push({ due: view.getBigUint64(0), id: view.getBigUint64(8), value: decode(value) });
    }
    return out;
  }
}
