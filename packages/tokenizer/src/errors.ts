/** Stable error codes raised by the tokenizer package. */
export type TokenizerErrorCode =
  | 'TOKENIZER_FILE_INVALID_UTF8'
  | 'TOKENIZER_FILE_INVALID_JSON'
  | 'TOKENIZER_FILE_INVALID'
  | 'TOKENIZER_FILE_NOT_CANONICAL'
  | 'TOKENIZER_HASH_MISMATCH'
  | 'TOKENIZER_UNKNOWN_TOKEN_ID'
  | 'TOKENIZER_INVALID_OPTIONS';

/**
 * Error thrown by the tokenizer. `code` is stable and meant for programs; `message` tells a person what
 * went wrong and what to do about it.
 */
export class TokenizerError extends Error {
  override name = 'TokenizerError';
  readonly code: TokenizerErrorCode;
  readonly details: string | undefined;

  constructor(code: TokenizerErrorCode, shortMessage: string, details?: string) {
    super(details === undefined ? shortMessage : `${shortMessage}\n\nDetails: ${details}`);
    this.code = code;
    this.details = details;
  }
}
