import { createRequire } from 'node:module';
import { type Address, keccak256, parseSignature, toChecksumAddress } from '@openledger/core';

type NativeSecp256k1 = {
  ecdsaRecover(
    sig: Uint8Array,
    recid: number,
    msg32: Uint8Array,
    compressed: boolean,
    output?: Uint8Array,
  ): Uint8Array;
};

let native: NativeSecp256k1 | undefined;

/**
 * Loads libsecp256k1 through the `secp256k1` package's prebuilt native binding. The package's main
 * entry silently falls back to pure JS (elliptic) when the binding is missing; `secp256k1/bindings`
 * does not, so a missing binding fails loudly here instead of making the node slow by accident.
 */
export function loadNativeSecp256k1(): NativeSecp256k1 {
  if (native) return native;
  const require = createRequire(import.meta.url);
  try {
    native = require('secp256k1/bindings') as NativeSecp256k1;
  } catch (cause) {
    throw new Error(
      `native libsecp256k1 binding did not load (are the secp256k1 prebuilds present?): ${String(cause)}`,
    );
  }
  return native;
}

/** Recovers the signer address of an r‖s‖v signature with native libsecp256k1 (high s refused first). */
export function nativeRecoverAddress(digest: Uint8Array, signature: Uint8Array): Address {
  const { recovery } = parseSignature(signature);
  const lib = loadNativeSecp256k1();
  let pub: Uint8Array;
  try {
    pub = lib.ecdsaRecover(signature.subarray(0, 64), recovery, digest, false);
  } catch (cause) {
    throw Object.assign(new Error(`no public key recovers from this signature: ${String(cause)}`), {
      code: 'INVALID_SIGNATURE',
    });
  }
  return toChecksumAddress(keccak256(pub.subarray(1)).subarray(12));
}
