/**
 * The single error type of `@openledger/attribution`. `code` is stable and machine-readable; the
 * message says what happened and what to do. (Switches to core's `BaseError` once core lands.)
 */
export class AttributionError extends Error {
  override readonly name = 'AttributionError';
  readonly code: AttributionErrorCode;
  readonly details: string | undefined;
  constructor(
    code: AttributionErrorCode,
    message: string,
    options: { details?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

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
