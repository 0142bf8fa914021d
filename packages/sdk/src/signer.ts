import {
  type Address,
  type Eip712Domain,
  type Hex,
  hashTypedData,
  parseAddress,
  privateKeyToAddress,
  signDigest,
  type TypedTypes,
  toHex,
} from '@openledger/core';

export type SignTypedDataParameters = {
  domain: Eip712Domain;
  types: TypedTypes;
  primaryType: string;
  message: Record<string, unknown>;
};

/** Anything that signs EIP-712 typed data: a private key, a viem account, an injected wallet. */
export interface Signer {
  readonly address: Address;
  signTypedData(parameters: SignTypedDataParameters): Promise<Hex>;
}

/** A signer over a raw private key (@noble/curves). */
export function privateKeySigner(privateKey: Hex): Signer {
  const address = privateKeyToAddress(privateKey);
  return {
    address,
    async signTypedData(parameters) {
      return toHex(signDigest(hashTypedData(parameters), privateKey));
    },
  };
}

/**
 * Wraps an external EIP-712 signer, e.g. a viem account (`account.signTypedData`) or a wallet's
 * `eth_signTypedData_v4`. The domain's chainId is passed as a bigint, as viem expects.
 */
export function externalSigner(
  address: string,
  sign: (parameters: SignTypedDataParameters) => Promise<Hex>,
): Signer {
  return { address: parseAddress(address), signTypedData: sign };
}
