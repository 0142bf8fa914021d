import { secp256k1 } from '@noble/curves/secp256k1.js';
import { type Address, toChecksumAddress } from './address.js';
import { bytesToBigint, concatBytes, fromHex, type Hex, toHex } from './bytes.js';
import { BaseError } from './errors.js';
import { keccak256 } from './hash.js';

/** secp256k1 group order n, and n/2 (the low-s bound). */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

export function generatePrivateKey(): Hex {
  return toHex(secp256k1.utils.randomSecretKey());
}

function keyBytes(privateKey: Hex | Uint8Array): Uint8Array {
  const bytes = typeof privateKey === 'string' ? fromHex(privateKey, 32) : privateKey;
  if (bytes.length !== 32 || !secp256k1.utils.isValidSecretKey(bytes)) {
    throw new BaseError('INVALID_PRIVATE_KEY', 'invalid secp256k1 private key', {
      metaMessages: ['A private key is 32 bytes (64 hex digits), non-zero and below the curve order.'],
    });
  }
  return bytes;
}

/** The Ethereum address of an uncompressed (65-byte) or compressed (33-byte) public key. */
export function publicKeyToAddress(publicKey: Uint8Array): Address {
  const uncompressed =
    publicKey.length === 65 ? publicKey : secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return toChecksumAddress(keccak256(uncompressed.subarray(1)).subarray(12));
}

export function privateKeyToAddress(privateKey: Hex | Uint8Array): Address {
  return publicKeyToAddress(secp256k1.getPublicKey(keyBytes(privateKey), false));
}

/** Signs a 32-byte digest; returns `r‖s‖v` (65 bytes) with v ∈ {27, 28} and low s. */
export function signDigest(digest: Uint8Array, privateKey: Hex | Uint8Array): Uint8Array {
  const sig = secp256k1.sign(digest, keyBytes(privateKey), {
    prehash: false,
    format: 'recovered',
    lowS: true,
  });
  // noble's 'recovered' format is recovery‖r‖s
  return concatBytes(sig.subarray(1, 65), Uint8Array.of(27 + sig[0]!));
}

export type SignatureParts = { r: bigint; s: bigint; recovery: 0 | 1 };

/**
 * Checks the shape of an `r‖s‖v` signature (DESIGN §3): 65 bytes, v ∈ {27, 28}, 0 < r < n and
 * 0 < s ≤ n/2 (high s is refused before recovery, since some fast libraries accept it).
 */
export function parseSignature(signature: Uint8Array): SignatureParts {
  if (signature.length !== 65) {
    throw new BaseError('INVALID_SIGNATURE', `a signature is 65 bytes (r‖s‖v), got ${signature.length}`);
  }
  const v = signature[64]!;
  if (v !== 27 && v !== 28)
    throw new BaseError('INVALID_SIGNATURE', `signature v must be 27 or 28, got ${v}`);
  const r = bytesToBigint(signature.subarray(0, 32));
  const s = bytesToBigint(signature.subarray(32, 64));
  if (r === 0n || r >= SECP256K1_N) throw new BaseError('INVALID_SIGNATURE', 'signature r is out of range');
  if (s === 0n || s >= SECP256K1_N) throw new BaseError('INVALID_SIGNATURE', 'signature s is out of range');
  if (s > SECP256K1_HALF_N) {
    throw new BaseError('HIGH_S_SIGNATURE', 'signature has a high s value (s > n/2), which is refused', {
      metaMessages: ['Sign with a library that produces low-s signatures (every Ethereum wallet does).'],
    });
  }
  return { r, s, recovery: (v - 27) as 0 | 1 };
}

/** Recovers the signer's uncompressed public key (pure JS, @noble/curves). */
export function recoverPublicKey(digest: Uint8Array, signature: Uint8Array): Uint8Array {
  const { recovery } = parseSignature(signature);
  const noble = concatBytes(Uint8Array.of(recovery), signature.subarray(0, 64));
  try {
    return secp256k1.recoverPublicKey(noble, digest, { prehash: false });
  } catch (cause) {
    throw new BaseError('INVALID_SIGNATURE', 'no public key recovers from this signature', { cause });
  }
}

export function recoverAddress(digest: Uint8Array, signature: Uint8Array): Address {
  return publicKeyToAddress(recoverPublicKey(digest, signature));
}
