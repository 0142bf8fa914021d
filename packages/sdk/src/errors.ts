import { BaseError } from '@openledger/core';

/** An error answered by the node: `code` is its precise error code, `rpcCode` the JSON-RPC one. */
export class RpcRequestError extends BaseError {
  override name = 'RpcRequestError';
  constructor(
    readonly method: string,
    readonly rpcCode: number,
    code: string,
    message: string,
    hints?: string[],
  ) {
    super(code, message, hints ? { metaMessages: hints } : {});
  }
}
