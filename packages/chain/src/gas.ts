import { ChainError } from './errors.js';

/**
 * The gas schedule (DESIGN §3). Every transaction pays `gasUsed × gasPrice` in OPEN.
 *
 * | what                          | gas                       |
 * |-------------------------------|---------------------------|
 * | transaction base              | 10,000                    |
 * | per byte of the encoded tx    | 16                        |
 * | signature check               | 3,000                     |
 * | message kind base             | `MessageDef.baseGas` (the messages table of each module) |
 * | state read                    | 200 + 1 per value byte    |
 * | state write                   | 2,000 + 20 per key+value byte |
 * | state delete                  | 500                       |
 * | iteration, per entry          | 100 + 1 per value byte    |
 * | event                         | 100 + 2 per byte          |
 *
 * `gasLimit × gasPrice` is reserved before execution and the unused part refunded after it.
 */
export const GAS = {
  txBase: 10_000n,
  txByte: 16n,
  signature: 3_000n,
  read: 200n,
  readByte: 1n,
  write: 2_000n,
  writeByte: 20n,
  delete: 500n,
  iterateEntry: 100n,
  event: 100n,
  eventByte: 2n,
} as const;

/** Counts gas against a limit; throws OUT_OF_GAS (and pins used = limit) when it runs out. */
export class GasMeter {
  used = 0n;
  constructor(readonly limit: bigint) {}

  consume(amount: bigint, what: string): void {
    this.used += amount;
    if (this.used > this.limit) {
      this.used = this.limit;
      throw new ChainError('OUT_OF_GAS', `out of gas: ${what} needs more than the gas limit ${this.limit}`, {
        metaMessages: ['Raise the transaction gas limit (estimate it with ol_estimateGas).'],
      });
    }
  }

  get remaining(): bigint {
    return this.limit - this.used;
  }
}

/** A meter that never runs out; used for block hooks and genesis, which pay no gas. */
export class InfiniteGasMeter extends GasMeter {
  constructor() {
    super(1n << 255n);
  }
}
