import { type Address, decode, encode, type Value } from '@openledger/core';
import { type ChainEvent, type EventAttributes, makeEvent } from './events.js';
import { GAS, type GasMeter } from './gas.js';
import type { Keepers } from './keepers.js';
import { Overlay } from './state/overlay.js';
import type { IterateOptions, StateReader } from './state/types.js';

/** What a block carries into execution; periods are seconds of block time (DESIGN §4). */
export type BlockInfo = { chainId: bigint; height: number; time: bigint; proposer: Address };

/**
 * The execution context of a message or a block hook: metered state access, events, the block,
 * the sender and the keepers. `child()` opens a nested layer that commits or rolls back as a unit.
 */
export class Ctx {
  readonly state: Overlay;
  constructor(
    parentState: StateReader,
    readonly gas: GasMeter,
    readonly block: BlockInfo,
    readonly sender: Address,
    readonly keepers: Keepers,
    readonly events: ChainEvent[] = [],
    readonly txHash?: string,
  ) {
    this.state = new Overlay(parentState);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.gas.consume(GAS.read, 'state read');
    const value = await this.state.get(key);
    if (value) this.gas.consume(GAS.readByte * BigInt(value.length), 'state read');
    return value;
  }

  /** Reads and decodes a canonical value. */
  async getValue(key: Uint8Array): Promise<Value | undefined> {
    const bytes = await this.get(key);
    return bytes === undefined ? undefined : decode(bytes);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.gas.consume(GAS.write + GAS.writeByte * BigInt(key.length + value.length), 'state write');
    this.state.set(key, value);
  }

  setValue(key: Uint8Array, value: Value | number): void {
    this.set(key, encode(value));
  }

  delete(key: Uint8Array): void {
    this.gas.consume(GAS.delete, 'state delete');
    this.state.delete(key);
  }

  async *iterate(prefix: Uint8Array, opts?: IterateOptions): AsyncIterable<[Uint8Array, Uint8Array]> {
    for await (const entry of this.state.iterate(prefix, opts)) {
      this.gas.consume(GAS.iterateEntry + GAS.readByte * BigInt(entry[1].length), 'state iteration');
      yield entry;
    }
  }

  emit(type: string, attributes: EventAttributes): void {
    const event = makeEvent(type, attributes);
    let bytes = type.length;
    for (const [k, v] of event.attributes) bytes += k.length + v.length;
    this.gas.consume(GAS.event + GAS.eventByte * BigInt(bytes), 'event');
    this.events.push(event);
  }

  /**
   * A nested layer with its own events (and, optionally, another sender or gas meter); call
   * `commit()` to keep its writes and events, or drop it to roll them back.
   */
  child(opts: { sender?: Address; gas?: GasMeter; txHash?: string } = {}): Ctx & { commit(): void } {
    const child = new Ctx(
      this.state,
      opts.gas ?? this.gas,
      this.block,
      opts.sender ?? this.sender,
      this.keepers,
      [],
      opts.txHash ?? this.txHash,
    ) as Ctx & { commit(): void };
    child.commit = () => {
      child.state.commitTo(this.state);
      this.events.push(...child.events);
      child.events.length = 0;
    };
    return child;
  }
}
