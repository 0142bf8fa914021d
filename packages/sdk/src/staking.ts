import { type Address, type Hex, parseAddress, parseOpen } from '@openledger/core';
import type { OpenLedgerClient, SendOptions, Sent } from './client.js';
import type { Signer } from './signer.js';

/**
 * Gas limit used by the staking and governance helpers unless one is given: generous (the unused
 * part is refunded), because estimating a message whose outcome depends on block time (a vote just
 * opening, an execution just after its timelock) can under-estimate it.
 */
export const ACTION_GAS_LIMIT = 2_000_000n;

/** OPEN as a decimal string ('1.5') or base units. */
export type Amount = string | bigint;

const amountOf = (a: Amount) => (typeof a === 'bigint' ? a : parseOpen(a));
const withGas = (opts: SendOptions = {}): SendOptions => ({ gasLimit: ACTION_GAS_LIMIT, ...opts });

export type CreateValidatorParameters = {
  /** ed25519 public key (32 bytes hex) CometBFT will sign with. */
  consensusKey: Hex;
  commissionBps: bigint | number;
  selfBond: Amount;
  moniker?: string;
};

/** Registers the signer as a validator with its self-bond (DESIGN §4.2). */
export function createValidator(
  client: OpenLedgerClient,
  signer: Signer,
  p: CreateValidatorParameters,
  opts?: SendOptions,
): Promise<Sent> {
  return client.send(
    signer,
    'CreateValidator',
    {
      consensusKey: p.consensusKey,
      commissionBps: BigInt(p.commissionBps),
      selfBond: amountOf(p.selfBond),
      moniker: p.moniker ?? '',
    },
    withGas(opts),
  );
}

/** Bonds OPEN to a validator. */
export function bond(
  client: OpenLedgerClient,
  signer: Signer,
  validator: string,
  amount: Amount,
  opts?: SendOptions,
) {
  return client.send(
    signer,
    'Bond',
    { validator: parseAddress(validator), amount: amountOf(amount) },
    withGas(opts),
  );
}

/** Starts unbonding OPEN from a validator (released after the unbonding period). */
export function unbond(
  client: OpenLedgerClient,
  signer: Signer,
  validator: string,
  amount: Amount,
  opts?: SendOptions,
) {
  return client.send(
    signer,
    'Unbond',
    { validator: parseAddress(validator), amount: amountOf(amount) },
    withGas(opts),
  );
}

/** Withdraws a delegation's rewards (and the commission when the signer operates the validator). */
export function withdrawRewards(
  client: OpenLedgerClient,
  signer: Signer,
  validator: string,
  opts?: SendOptions,
) {
  return client.send(signer, 'WithdrawRewards', { validator: parseAddress(validator) }, withGas(opts));
}

export type ValidatorInfo = {
  operator: Address;
  consensusKey: Hex;
  commissionBps: bigint;
  tokens: bigint;
  shares: bigint;
  moniker: string;
};

/** Every validator and the bonded total. */
export async function getValidators(
  client: OpenLedgerClient,
): Promise<{ validators: ValidatorInfo[]; totalBonded: bigint }> {
  const r = await client.query<{ validators: Record<string, string>[]; totalBonded: string }>(
    'staking.validators',
  );
  return {
    totalBonded: BigInt(r.totalBonded),
    validators: r.validators.map((v) => ({
      operator: v.operator as Address,
      consensusKey: v.consensusKey as Hex,
      commissionBps: BigInt(v.commissionBps!),
      tokens: BigInt(v.tokens!),
      shares: BigInt(v.shares!),
      moniker: v.moniker ?? '',
    })),
  };
}

export type StakeInfo = {
  address: Address;
  delegations: Array<{ validator: Address; amount: bigint; shares: bigint; reward: bigint }>;
  unbonding: Array<{ id: bigint; validator: Address; amount: bigint; completionTime: bigint }>;
  /** Pending rewards over all delegations, and the commission of the validator it operates. */
  rewards: bigint;
  commission: bigint;
};

/** An account's delegations with their pending rewards, and its unbonding entries. */
export async function getStake(client: OpenLedgerClient, address: string): Promise<StakeInfo> {
  const who = parseAddress(address);
  type Raw = Record<string, string>;
  const [d, u, r] = await Promise.all([
    client.query<{ delegations: Raw[] }>('staking.delegations', { delegator: who }),
    client.query<{ entries: Raw[] }>('staking.unbonding', { delegator: who }),
    client.query<{ rewards: Raw[]; total: string; commission: string }>('distribution.rewards', {
      delegator: who,
    }),
  ]);
  const reward = new Map(r.rewards.map((x) => [x.validator, BigInt(x.reward!)]));
  return {
    address: who,
    delegations: d.delegations.map((x) => ({
      validator: x.validator as Address,
      amount: BigInt(x.amount!),
      shares: BigInt(x.shares!),
      reward: reward.get(x.validator!) ?? 0n,
    })),
    unbonding: u.entries.map((x) => ({
      id: BigInt(x.id!),
      validator: x.validator as Address,
      amount: BigInt(x.amount!),
      completionTime: BigInt(x.completionTime!),
    })),
    rewards: BigInt(r.total),
    commission: BigInt(r.commission),
  };
}
