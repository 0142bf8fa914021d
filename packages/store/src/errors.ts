import { BaseError } from '@openledger/core';

/** Stable codes of every error the store throws. */
export type StoreErrorCode =
  | 'HEIGHT_PRUNED'
  | 'HEIGHT_IN_FUTURE'
  | 'INVALID_KEY'
  | 'INVALID_VALUE'
  | 'INVALID_OPTION'
  | 'INVALID_PROOF'
  | 'STALE_PREPARE'
  | 'ALREADY_COMMITTED'
  | 'STORE_CLOSED'
  | 'STORE_LOCKED'
  | 'CORRUPT_STORE';

/** Error thrown by `@openledger/store`: the project's BaseError with a stable store `code`. */
export class StoreError extends BaseError<StoreErrorCode> {
  override name = 'StoreError';
  /** Machine-readable facts about the failure (e.g. the height asked for). */
  readonly context: Record<string, unknown> | undefined;
  constructor(code: StoreErrorCode, message: string, context?: Record<string, unknown>) {
    super(code, message, context ? { details: JSON.stringify(context) } : {});
    this.context = context;
  }
}
