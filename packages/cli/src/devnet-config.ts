import { devnetParams, type GenesisConfig, stakingDevnetGenesisModules, TREASURY } from '@openledger/chain';
import { type Address, type Hex, keccak256, OPEN, privateKeyToAddress, toHex, utf8 } from '@openledger/core';

/**
 * The devnet's fixed demo keys (DESIGN §6): derived from public names, so they are the same on every
 * machine and must never hold anything of value. Only these keys are ever kept in the clear.
 */
export const DEMO_NAMES = [
  'sequencer',
  'operator',
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
] as const;
export type DemoName = (typeof DEMO_NAMES)[number];

export function demoKey(name: DemoName): Hex {
  return toHex(keccak256(utf8(`openledger devnet demo key: ${name}`)));
}

export function demoAccounts(): Array<{ name: DemoName; address: Address; privateKey: Hex }> {
  return DEMO_NAMES.map((name) => ({
    name,
    privateKey: demoKey(name),
    address: privateKeyToAddress(demoKey(name)),
  }));
}

export const DEVNET_CHAIN_ID = 7077n;
/** Fixed, so every fresh devnet has the same genesis and state roots (2026-01-01T00:00:00Z). */
export const DEVNET_GENESIS_TIME = 1_767_225_600n;

/**
 * The devnet genesis (DESIGN §6): demo accounts with OPEN and gOPEN above the proposal threshold and
 * quorum, the sequencer as the validator, a funded treasury, and the devnet parameters of DESIGN §4.
 */
export function devnetGenesis(): GenesisConfig {
  const demo = demoAccounts().map((a) => ({
    address: a.address,
    balance: (a.name === 'sequencer' ? 10_000_000n : 1_000_000n) * OPEN,
  }));
  const sequencer = privateKeyToAddress(demoKey('sequencer'));
  return {
    chainId: DEVNET_CHAIN_ID,
    genesisTime: DEVNET_GENESIS_TIME,
    sequencer,
    accounts: [...demo, { address: TREASURY, balance: 10_000_000n * OPEN }],
    params: devnetParams(),
    modules: { ...stakingDevnetGenesisModules(demo, { sequencer }) },
  };
}
