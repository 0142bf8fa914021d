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

/** Error thrown by `@openledger/store`; `code` is stable, the message says what to do. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: StoreErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
    this.details = details;
  }
}
