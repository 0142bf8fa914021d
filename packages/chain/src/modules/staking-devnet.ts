import { type Address, formatOpen, type Hex, OPEN } from '@openledger/core';
import type { GenesisAccount } from '../module.js';

/**
 * The devnet column of DESIGN §4's table for the staking, governance and slashing modules, as
 * genesis parameter overrides (`genesis.params`). Thresholds, quorums and the treasury cap keep
 * their defaults on the devnet ("same").
 */
export function stakingDevnetParams(): Record<string, bigint> {
  return {
    'staking.unbondingPeriod': 60n,
    'gov.unbondingPeriod': 60n,
    'gov.votingDelay': 5n,
    'gov.votingPeriod': 60n,
    'gov.timelock': 5n,
    'gov.executionGrace': 600n,
    'slashing.appealWindow': 300n,
  };
}

/**
 * The devnet sequencer's ed25519 consensus public key: seed = sha256("openledger devnet consensus key")
 * = 0x26c6d020b452d15230772f9fdf6d47f23ebf828690f8a6105dcb80a1a78fedab (a fixed demo key, public).
 */
export const DEVNET_CONSENSUS_KEY: Hex = '0x76370011f15bb9d151a4493230bce3b836f2e11ee61c0bc54e798e8de6aa3da8';

export type StakingDevnetGenesisOptions = {
  /** The sequencer, made the devnet's validator; it must be one of the accounts. */
  sequencer: Address;
  consensusKey?: Hex;
  /** Self-bond of the sequencer validator (default 1,000 OPEN). */
  selfBond?: bigint;
  commissionBps?: bigint;
  /** gOPEN locked for each demo account (default 20,000 OPEN, twice the proposal threshold). */
  gOpenPerAccount?: bigint;
};

/**
 * `genesis.modules` sections for the devnet (DESIGN §6): the sequencer as the validator, and every
 * demo account with gOPEN above the proposal threshold. With n accounts each holds 1/n of all gOPEN,
 * so one account alone meets the 5% quorum for n ≤ 20 and the 20% treasury quorum for n ≤ 5.
 * The OPEN comes out of the accounts' genesis balances, so give them more than they lock.
 */
export function stakingDevnetGenesisModules(
  accounts: readonly GenesisAccount[],
  options: StakingDevnetGenesisOptions,
): { staking: unknown; gov: unknown } {
  const gOpen = options.gOpenPerAccount ?? 20_000n * OPEN;
  const selfBond = options.selfBond ?? 1_000n * OPEN;
  const sequencer = accounts.find((a) => a.address.toLowerCase() === options.sequencer.toLowerCase());
  if (!sequencer) throw new Error(`the sequencer ${options.sequencer} must be one of the genesis accounts`);
  for (const a of accounts) {
    const needed = gOpen + (a === sequencer ? selfBond : 0n);
    if (a.balance < needed) {
      throw new Error(
        `genesis account ${a.address} holds ${formatOpen(a.balance)} OPEN but the devnet locks/bonds ${formatOpen(needed)} OPEN of it`,
      );
    }
  }
  return {
    staking: {
      validators: [
        {
          operator: sequencer.address,
          consensusKey: options.consensusKey ?? DEVNET_CONSENSUS_KEY,
          commissionBps: options.commissionBps ?? 500n,
          selfBond,
          moniker: 'devnet sequencer',
        },
      ],
    },
    gov: { locks: accounts.map((a) => ({ address: a.address, amount: gOpen })) },
  };
}
