import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

/** keccak-256 (Ethereum's hash). */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/** sha-256 (FIPS 180-4). */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}
