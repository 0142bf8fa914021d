/**
 * Shared fixture of the cross-package tests: a fixed genesis, its sequencer key and funded test
 * accounts (keys derived from fixed labels, never used anywhere else), and a seeded PRNG.
 */
import type { GenesisConfig } from '@openledger/chain';
import { type Address, type Hex, keccak256, OPEN, privateKeyToAddress, toHex, utf8 } from '@openledger/core';

export const SEQUENCER_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
export const SEQUENCER: Address = privateKeyToAddress(SEQUENCER_KEY);

/** A deterministic private key from a label (keccak of the label; valid with overwhelming probability). */
export const labelKey = (label: string): Hex => toHex(keccak256(utf8(`openledger-test:${label}`)));

export const USER_KEYS: Hex[] = Array.from({ length: 8 }, (_, i) => labelKey(`user-${i}`));
export const USERS: Address[] = USER_KEYS.map((k) => privateKeyToAddress(k));
/** Accounts with no genesis balance that receive transfers. */
export const SINKS: Address[] = Array.from({ length: 4 }, (_, i) =>
  privateKeyToAddress(labelKey(`sink-${i}`)),
);

export const USER_BALANCE = 1_000_000n * OPEN;

export function testGenesis(): GenesisConfig {
  return {
    chainId: 4711n,
    genesisTime: 1_700_000_000n,
    sequencer: SEQUENCER,
    accounts: [
      { address: SEQUENCER, balance: USER_BALANCE },
      ...USERS.map((address) => ({ address, balance: USER_BALANCE })),
    ],
  };
}

/** mulberry32: a small seeded PRNG for reproducible random schedules (not for anything consensus). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
