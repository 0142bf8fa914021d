import { type Address, decode, type Hex, parseAddress } from '@openledger/core';
import type { App } from '../../app.js';
import type { Ctx } from '../../context.js';
import { genesisAddress, genesisInteger, genesisList, genesisString } from '../../genesis-input.js';
import type { Module } from '../../module.js';
import { queryCtx, readInteger } from '../../state-values.js';
import {
  addressAtEnd,
  createStakingKeeper,
  decodeUnbonding,
  delegationKey,
  delegatorIndexPrefix,
  delegatorUnbondingPrefix,
  returnSlashToValidator,
  STAKING,
  TOTAL_BONDED_KEY,
  TOTAL_UNBONDING_KEY,
  unbondingQueue,
  validatorDelegationsPrefix,
} from './keeper.js';

export {
  type CreateValidatorParameters,
  STAKING,
  type StakingHooks,
  type StakingKeeper,
  type UnbondingEntry,
  type Validator,
} from './keeper.js';

const DAY = 86_400n;
const OPEN = 10n ** 18n;

type CreateValidatorMessage = {
  from: Address;
  consensusKey: Hex;
  commissionBps: bigint;
  selfBond: bigint;
  moniker: string;
};
type BondMessage = { from: Address; validator: Address; amount: bigint };

/**
 * Validator and delegator bonds (DESIGN §4.2): create a validator (ed25519 consensus key, commission),
 * bond, unbond into a queue released after `unbondingPeriod`, and the slashing hook for evidence.
 * In single-sequencer mode the sequencer is a validator created by genesis (`genesis.modules.staking`).
 */
export function stakingModule(app: App): Module {
  const keeper = createStakingKeeper();
  app.setKeeper('staking', keeper);
  if (!app.keepers.slashing) throw new Error('register the slashing module before the staking module');
  app.keepers.slashing.registerReturn('staking', { account: STAKING, onReturn: returnSlashToValidator });

  return {
    name: 'staking',
    params: [
      {
        name: 'unbondingPeriod',
        description: 'seconds between unbonding and the release of validator and delegator OPEN',
        default: 7n * DAY,
        min: 1n,
        max: 365n * DAY,
        unit: 'seconds',
      },
      {
        name: 'maxValidators',
        description: 'most validators that may exist (fee distribution visits each every block)',
        default: 100n,
        min: 1n,
        max: 1_000n,
        unit: 'count',
      },
      {
        name: 'minSelfBond',
        description: 'least OPEN a new validator bonds of its own',
        default: OPEN,
        min: 0n,
        max: 10n ** 9n * OPEN,
        unit: 'OPEN',
      },
      {
        name: 'maxReleasesPerBlock',
        description: 'matured unbonding entries released per block at most (bounded work per block)',
        default: 1_000n,
        min: 1n,
        max: 100_000n,
        unit: 'count',
      },
    ],
    messages: [
      {
        kind: 'CreateValidator',
        description: 'Become a validator: register an ed25519 consensus key and a commission, and bond OPEN.',
        fields: [
          { name: 'consensusKey', type: 'bytes32' },
          { name: 'commissionBps', type: 'uint256' },
          { name: 'selfBond', type: 'uint256' },
          { name: 'moniker', type: 'string' },
        ],
        baseGas: 40_000n,
        async handle(ctx: Ctx, msg: CreateValidatorMessage) {
          await keeper.createValidator(ctx, {
            operator: msg.from,
            consensusKey: msg.consensusKey,
            commissionBps: msg.commissionBps,
            selfBond: msg.selfBond,
            moniker: msg.moniker,
          });
        },
      },
      {
        kind: 'Bond',
        description: 'Bond (delegate) OPEN to a validator; it earns a share of fees from the next block.',
        fields: [
          { name: 'validator', type: 'address' },
          { name: 'amount', type: 'uint256' },
        ],
        baseGas: 20_000n,
        async handle(ctx: Ctx, msg: BondMessage) {
          await keeper.delegate(ctx, msg.validator, msg.from, msg.amount);
        },
      },
      {
        kind: 'Unbond',
        description: 'Start unbonding OPEN from a validator; it is released after the unbonding period.',
        fields: [
          { name: 'validator', type: 'address' },
          { name: 'amount', type: 'uint256' },
        ],
        baseGas: 20_000n,
        async handle(ctx: Ctx, msg: BondMessage) {
          await keeper.undelegate(ctx, msg.validator, msg.from, msg.amount);
        },
      },
    ],

    async initGenesis(ctx, genesis) {
      const section = genesis.modules?.staking;
      const validators = genesisList(section, 'validators', 'staking');
      for (const [i, v] of validators.entries()) {
        const path = `validators[${i}]`;
        await keeper.createValidator(ctx, {
          operator: genesisAddress(v.operator, `${path}.operator`, 'staking'),
          consensusKey: genesisString(v.consensusKey, `${path}.consensusKey`, 'staking') as Hex,
          commissionBps: genesisInteger(v.commissionBps ?? 0, `${path}.commissionBps`, 'staking'),
          selfBond: genesisInteger(v.selfBond, `${path}.selfBond`, 'staking'),
          moniker: genesisString(v.moniker, `${path}.moniker`, 'staking'),
        });
      }
      for (const [i, d] of genesisList(section, 'delegations', 'staking').entries()) {
        const path = `delegations[${i}]`;
        await keeper.delegate(
          ctx,
          genesisAddress(d.validator, `${path}.validator`, 'staking'),
          genesisAddress(d.delegator, `${path}.delegator`, 'staking'),
          genesisInteger(d.amount, `${path}.amount`, 'staking'),
        );
      }
    },

    async endBlock(ctx) {
      await keeper.releaseMatured(ctx);
    },

    queries: {
      /** Every validator with its bonded tokens and commission. */
      async validators(q) {
        const ctx = queryCtx(q, app.keepers);
        return { validators: await keeper.validators(ctx), totalBonded: await keeper.totalBonded(ctx) };
      },
      async validator(q, args) {
        const ctx = queryCtx(q, app.keepers);
        const address = parseAddress(String(args.address));
        const v = await keeper.validator(ctx, address);
        if (!v) return null;
        return v;
      },
      /** A delegator's delegations: validator, shares and their worth in OPEN. */
      async delegations(q, args) {
        const ctx = queryCtx(q, app.keepers);
        const delegator = parseAddress(String(args.delegator));
        const out = [];
        for await (const [key] of ctx.iterate(delegatorIndexPrefix(delegator))) {
          const validator = addressAtEnd(key);
          out.push({
            validator,
            shares: await keeper.delegationShares(ctx, validator, delegator),
            amount: await keeper.delegationAmount(ctx, validator, delegator),
          });
        }
        return { delegator, delegations: out };
      },
      /** A validator's delegators, by address, `limit` (≤ 1000) after `after`. */
      async validatorDelegations(q, args) {
        const ctx = queryCtx(q, app.keepers);
        const validator = parseAddress(String(args.validator));
        const limit = Math.min(Number(args.limit ?? 100) || 100, 1000);
        const prefix = validatorDelegationsPrefix(validator);
        const gte =
          args.after === undefined
            ? undefined
            : new Uint8Array([...delegationKey(validator, parseAddress(String(args.after))), 0]);
        const out = [];
        for await (const [key, value] of ctx.iterate(prefix, gte ? { gte, limit } : { limit })) {
          const delegator = addressAtEnd(key);
          out.push({
            delegator,
            shares: decode(value) as bigint,
            amount: await keeper.delegationAmount(ctx, validator, delegator),
          });
        }
        return { validator, delegations: out };
      },
      /** A delegator's unbonding entries (OPEN on the way back, with their release time). */
      async unbonding(q, args) {
        const ctx = queryCtx(q, app.keepers);
        const delegator = parseAddress(String(args.delegator));
        const out = [];
        for await (const [key, value] of ctx.iterate(delegatorUnbondingPrefix(delegator))) {
          const id = new DataView(key.buffer, key.byteOffset + key.length - 8, 8).getBigUint64(0);
          const completionTime = decode(value) as bigint;
          const entry = await ctx.getValue(unbondingQueue.key(completionTime, id));
          if (entry !== undefined) out.push(decodeUnbonding(id, completionTime, entry));
        }
        return { delegator, entries: out };
      },
      async pool(q) {
        const ctx = queryCtx(q, app.keepers);
        return {
          account: STAKING,
          bonded: await readInteger(ctx, TOTAL_BONDED_KEY),
          unbonding: await readInteger(ctx, TOTAL_UNBONDING_KEY),
        };
      },
    },

    invariants: {
      /** Validators' tokens sum to the bonded total; their delegations' shares to their shares. */
      async bonded(ctx) {
        let tokens = 0n;
        for (const v of await keeper.validators(ctx)) {
          tokens += v.tokens;
          let shares = 0n;
          for await (const [, value] of ctx.state.iterate(validatorDelegationsPrefix(v.operator))) {
            shares += decode(value) as bigint;
          }
          if (shares !== v.shares)
            return `validator ${v.operator}: delegations hold ${shares} shares, not ${v.shares}`;
        }
        const total = await keeper.totalBonded(ctx);
        return tokens === total
          ? undefined
          : `validators hold ${tokens} tokens but the bonded total is ${total}`;
      },
      /** The unbonding queue sums to its total, and the staking account covers bonded + unbonding. */
      async unbonding(ctx) {
        let sum = 0n;
        for await (const [, value] of ctx.state.iterate(unbondingQueue.prefix)) {
          sum += decodeUnbonding(0n, 0n, decode(value)).amount;
        }
        const total = await readInteger(ctx, TOTAL_UNBONDING_KEY);
        if (sum !== total) return `unbonding entries sum to ${sum} but the total is ${total}`;
        const balance = await ctx.keepers.bank.balance(ctx, STAKING);
        const bonded = await keeper.totalBonded(ctx);
        return balance >= bonded + total
          ? undefined
          : `staking account holds ${balance}, less than bonded ${bonded} + unbonding ${total}`;
      },
    },
  };
}
