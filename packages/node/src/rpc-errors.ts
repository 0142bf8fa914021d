import { BaseError } from '@openledger/core';

/** JSON-RPC 2.0 error codes: the standard ones and this node's classes (the `data.code` is precise). */
export const RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  /** Any other application error. */
  APPLICATION: -32000,
  INVALID_TX: -32001,
  NONCE: -32002,
  INSUFFICIENT_FUNDS: -32003,
  GAS: -32004,
  MEMPOOL: -32005,
  NOT_FOUND: -32010,
  UNAVAILABLE: -32020,
} as const;

const BY_CODE: Record<string, number> = {
  INVALID_TX: RPC.INVALID_TX,
  TX_TOO_LARGE: RPC.INVALID_TX,
  UNKNOWN_MESSAGE: RPC.INVALID_TX,
  INVALID_SIGNATURE: RPC.INVALID_TX,
  HIGH_S_SIGNATURE: RPC.INVALID_TX,
  WRONG_SIGNER: RPC.INVALID_TX,
  WRONG_CHAIN: RPC.INVALID_TX,
  INVALID_HEX: RPC.INVALID_PARAMS,
  INVALID_ADDRESS: RPC.INVALID_PARAMS,
  INVALID_ADDRESS_CHECKSUM: RPC.INVALID_PARAMS,
  INVALID_PARAMS: RPC.INVALID_PARAMS,
  INVALID_AMOUNT: RPC.INVALID_PARAMS,
  NONCE_TOO_LOW: RPC.NONCE,
  NONCE_GAP: RPC.NONCE,
  NONCE_TOO_FAR: RPC.NONCE,
  INSUFFICIENT_FUNDS: RPC.INSUFFICIENT_FUNDS,
  GAS_PRICE_TOO_LOW: RPC.GAS,
  GAS_LIMIT_TOO_LOW: RPC.GAS,
  GAS_LIMIT_TOO_HIGH: RPC.GAS,
  OUT_OF_GAS: RPC.GAS,
  ALREADY_KNOWN: RPC.MEMPOOL,
  ALREADY_INCLUDED: RPC.MEMPOOL,
  REPLACEMENT_UNDERPRICED: RPC.MEMPOOL,
  MEMPOOL_FULL: RPC.MEMPOOL,
  BLOB_MISSING: RPC.MEMPOOL,
  NOT_FOUND: RPC.NOT_FOUND,
  HEIGHT_PRUNED: RPC.NOT_FOUND,
  UNKNOWN_QUERY: RPC.METHOD_NOT_FOUND,
};

export class RpcError extends BaseError {
  constructor(
    readonly rpcCode: number,
    code: string,
    message: string,
    metaMessages?: string[],
  ) {
    super(code, message, metaMessages ? { metaMessages } : {});
  }
}

export type RpcErrorObject = { code: number; message: string; data?: { code: string; hints?: string[] } };

/** Maps any thrown value to a JSON-RPC error a person can act on; never a stack trace. */
export function toRpcError(error: unknown): RpcErrorObject {
  if (error instanceof RpcError) {
    return {
      code: error.rpcCode,
      message: error.shortMessage,
      data: { code: error.code, hints: error.metaMessages },
    };
  }
  if (error instanceof BaseError) {
    const data: { code: string; hints?: string[] } = { code: error.code };
    if (error.metaMessages) data.hints = error.metaMessages;
    return { code: BY_CODE[error.code] ?? RPC.APPLICATION, message: error.shortMessage, data };
  }
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && code in BY_CODE) {
    return {
      code: BY_CODE[code]!,
      message: String((error as Error).message).split('\n')[0]!,
      data: { code },
    };
  }
  return { code: RPC.INTERNAL, message: 'internal error', data: { code: 'INTERNAL_ERROR' } };
}

export function invalidParams(message: string): RpcError {
  return new RpcError(RPC.INVALID_PARAMS, 'INVALID_PARAMS', message);
}
