/**
 * The one base error of the project. Every error has a stable `code` that clients can switch on,
 * a `shortMessage` a person can act on, and optional `details` and `metaMessages` (hints).
 */
export type BaseErrorParameters = {
  details?: string;
  metaMessages?: string[];
  cause?: unknown;
};

export class BaseError<code extends string = string> extends Error {
  override name = 'OpenLedgerError';
  readonly code: code;
  readonly shortMessage: string;
  readonly details?: string;
  readonly metaMessages?: string[];

  constructor(code: code, shortMessage: string, parameters: BaseErrorParameters = {}) {
    const lines = [shortMessage];
    if (parameters.metaMessages?.length) lines.push('', ...parameters.metaMessages);
    if (parameters.details) lines.push('', `Details: ${parameters.details}`);
    super(lines.join('\n'), parameters.cause === undefined ? undefined : { cause: parameters.cause });
    this.code = code;
    this.shortMessage = shortMessage;
    if (parameters.details !== undefined) this.details = parameters.details;
    if (parameters.metaMessages !== undefined) this.metaMessages = parameters.metaMessages;
  }
}

export function isBaseError(error: unknown): error is BaseError {
  return error instanceof BaseError;
}
