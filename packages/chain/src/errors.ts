import { BaseError, type BaseErrorParameters } from '@openledger/core';

/**
 * Errors of the state machine. A handler throws a ChainError to fail its message: the message's own
 * state changes roll back, the transaction still pays its gas and advances the nonce (DESIGN §3).
 */
export type ChainErrorCode =
  | 'OUT_OF_GAS'
  | 'INSUFFICIENT_FUNDS'
  | 'UNAUTHORIZED'
  | 'INVALID_MESSAGE'
  | 'UNKNOWN_MESSAGE'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'PARAM_OUT_OF_BOUNDS'
  | 'BAD_NONCE'
  | 'GAS_PRICE_TOO_LOW'
  | 'GAS_LIMIT_TOO_LOW'
  | 'INVALID_SIGNATURE'
  | 'WRONG_SIGNER'
  | 'WRONG_CHAIN'
  | 'TX_TOO_LARGE'
  | 'INVALID_TX'
  | 'INVALID_BLOCK'
  | (string & {});

export class ChainError extends BaseError<ChainErrorCode> {
  override name = 'ChainError';
  constructor(code: ChainErrorCode, shortMessage: string, parameters?: BaseErrorParameters) {
    super(code, shortMessage, parameters);
  }
}
