/**
 * What the state machine needs from storage. `@openledger/store`'s StateStore satisfies it, and so
 * does the in-memory overlay below; the chain never sees a database.
 */
export type IterateOptions = { gte?: Uint8Array; lte?: Uint8Array; reverse?: boolean; limit?: number };

export interface StateReader {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  /** Optional: several values in one batched read (the store's reader has it; used to prefetch). */
  getMany?(keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>>;
  /** Entries whose key starts with `prefix`, ascending by unsigned bytes (descending if reverse). */
  iterate(prefix: Uint8Array, opts?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]>;
}

/** Pending writes of a block: key as lowercase hex (no 0x) → value, or null for a delete. */
export type StateWrites = Map<string, Uint8Array | null>;
