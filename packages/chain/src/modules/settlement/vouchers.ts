import {
  type Address,
  type Hex,
  hashTypedData,
  openLedgerDomain,
  signDigest,
  type TypedTypes,
  toHex,
} from '@openledger/core';

/**
 * Vouchers and usage statements (DESIGN §3, §4.6 *fixed*): EIP-712 primary types `Voucher` and `Usage`
 * under the transaction domain {name: "OpenLedger", version: "1", chainId}. Any Ethereum wallet signs
 * them with eth_signTypedData_v4.
 */
export type Voucher = {
  payer: Address;
  operator: Address;
  modelVersion: Hex;
  requestId: Hex;
  maxInputTokens: bigint;
  maxOutputTokens: bigint;
  maxFee: bigint;
  expiry: bigint;
};

export type Usage = {
  payer: Address;
  requestId: Hex;
  modelVersion: Hex;
  promptHash: Hex;
  outputHash: Hex;
  inputTokens: bigint;
  outputTokens: bigint;
  evidenceHash: Hex;
};

export const VOUCHER_TYPES: TypedTypes = {
  Voucher: [
    { name: 'payer', type: 'address' },
    { name: 'operator', type: 'address' },
    { name: 'modelVersion', type: 'bytes32' },
    { name: 'requestId', type: 'bytes32' },
    { name: 'maxInputTokens', type: 'uint256' },
    { name: 'maxOutputTokens', type: 'uint256' },
    { name: 'maxFee', type: 'uint256' },
    { name: 'expiry', type: 'uint256' },
  ],
};

export const USAGE_TYPES: TypedTypes = {
  Usage: [
    { name: 'payer', type: 'address' },
    { name: 'requestId', type: 'bytes32' },
    { name: 'modelVersion', type: 'bytes32' },
    { name: 'promptHash', type: 'bytes32' },
    { name: 'outputHash', type: 'bytes32' },
    { name: 'inputTokens', type: 'uint256' },
    { name: 'outputTokens', type: 'uint256' },
    { name: 'evidenceHash', type: 'bytes32' },
  ],
};

/** The EIP-712 digest of a voucher; it is also the id of the receipt that settles it. */
export function hashVoucher(chainId: bigint, voucher: Voucher): Uint8Array {
  return hashTypedData({
    domain: openLedgerDomain(chainId),
    types: VOUCHER_TYPES,
    primaryType: 'Voucher',
    message: voucher,
  });
}

export function hashUsage(chainId: bigint, usage: Usage): Uint8Array {
  return hashTypedData({
    domain: openLedgerDomain(chainId),
    types: USAGE_TYPES,
    primaryType: 'Usage',
    message: usage,
  });
}

/** Signs a voucher with a private key (payer or session key); r‖s‖v hex. */
export function signVoucher(chainId: bigint, voucher: Voucher, privateKey: Hex): Hex {
  return toHex(signDigest(hashVoucher(chainId, voucher), privateKey));
}

/** Signs a usage statement with the operator's private key; r‖s‖v hex. */
export function signUsage(chainId: bigint, usage: Usage, privateKey: Hex): Hex {
  return toHex(signDigest(hashUsage(chainId, usage), privateKey));
}
