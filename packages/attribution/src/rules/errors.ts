import { BaseError, type BaseErrorParameters } from '@openledger/core';

export type AttributionErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_UTF8'
  | 'FILE_TOO_LARGE'
  | 'NO_ROWS'
  | 'INVALID_PROOF'
  | 'INVALID_EVIDENCE'
  | 'EMPTY_OUTPUT'
  | 'OUTPUT_TOO_LONG'
  | 'UNKNOWN_VERSION'
  | 'UNKNOWN_DATANET'
  | 'INDEX_CORRUPT'
  | 'INDEX_STATE';

/**
 * The error type of `@openledger/attribution` (core's `BaseError`): `code` is stable and machine-readable,
 * the message says what happened and what to do.
 */
export class AttributionError extends BaseError<AttributionErrorCode> {
  override name = 'AttributionError';
  constructor(code: AttributionErrorCode, shortMessage: string, parameters: BaseErrorParameters = {}) {
    super(code, shortMessage, parameters);
  }
}
