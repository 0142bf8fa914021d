import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigintToBytes, bytesToBigint, concatBytes } from './bytes.js';
import { BaseError } from './errors.js';
import { keccak256 } from './hash.js';
import {
  generatePrivateKey,
  privateKeyToAddress,
  recoverAddress,
  SECP256K1_HALF_N,
  SECP256K1_N,
  signDigest,
} from './keys.js';

test('sign and recover round-trip with v in {27, 28} and low s', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const key = generatePrivateKey();
    const digest = keccak256(new Uint8Array([i]));
    const sig = signDigest(digest, key);
    seen.add(sig[64]!);
    assert.ok(bytesToBigint(sig.subarray(32, 64)) <= SECP256K1_HALF_N);
    assert.equal(recoverAddress(digest, sig), privateKeyToAddress(key));
  }
  assert.deepEqual([...seen].sort(), [27, 28]);
});

test('the high-s twin of a valid signature is refused before recovery', () => {
  const key = generatePrivateKey();
  const digest = keccak256(new Uint8Array([1, 2, 3]));
  const sig = signDigest(digest, key);
  const s = bytesToBigint(sig.subarray(32, 64));
  const flipped = concatBytes(
    sig.subarray(0, 32),
    bigintToBytes(SECP256K1_N - s, 32),
    Uint8Array.of(sig[64] === 27 ? 28 : 27),
  );
  assert.throws(
    () => recoverAddress(digest, flipped),
    (e: unknown) => e instanceof BaseError && e.code === 'HIGH_S_SIGNATURE',
  );
});

test('malformed signatures are refused', () => {
  const digest = new Uint8Array(32);
  assert.throws(() => recoverAddress(digest, new Uint8Array(64)), /65 bytes/);
  const sig = new Uint8Array(65);
  sig[64] = 29;
  assert.throws(() => recoverAddress(digest, sig), /v must be 27 or 28/);
  sig[64] = 27;
  assert.throws(() => recoverAddress(digest, sig), /r is out of range/);
  assert.throws(() => privateKeyToAddress(`0x${'00'.repeat(32)}`), /invalid secp256k1 private key/);
});

test('a known key has its known address', () => {
  // Hardhat/anvil account #0
  assert.equal(
    privateKeyToAddress('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'),
    '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  );
});
