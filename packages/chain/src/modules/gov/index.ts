import { type Address, addressFromBytes, decode, fromHex, parseAddress } from '@openledger/core';
import type { App } from '../../app.js';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { genesisAddress, genesisInteger, genesisList } from '../../genesis-input.js';
import type { Module } from '../../module.js';
import { queryCtx, readInteger } from '../../state-values.js';
import { advanceProposals } from './advance-proposals.js';
import { cancelProposal } from './cancel-proposal.js';
import { castVote } from './cast-vote.js';
import { executeProposal } from './execute-proposal.js';
import {
  decodeProposal,
  loadProposal,
  PROPOSAL_PREFIX,
  type ProposalStatus,
  proposalKey,
  voteKey,
  votesPrefix,
} from './proposal.js';
import {
  createGovStakeKeeper,
  decodeUnlock,
  GOV_LOCKED,
  type GovStakeKeeper,
  LOCK_PREFIX,
  TOTAL_UNLOCKING_KEY,
  unlockIndexPrefix,
  unlockQueue,
  VOTES_PREFIX,
} from './stake.js';
import { submitProposal } from './submit-proposal.js';

export {
  type Proposal,
  type ProposalMessage,
  type ProposalStatus,
  quorumOf,
  SUPPORT,
} from './proposal.js';
export { GOV_LOCKED, type GovStakeKeeper, type UnlockEntry } from './stake.js';
export { GOVERNANCE_OWN_KINDS, MAX_PROPOSAL_MESSAGES } from './submit-proposal.js';

declare module '../../keepers.js' {
  interface Keepers {
    gov: GovStakeKeeper;
  }
}

const DAY = 86_400n;
const OPEN = 10n ** 18n;
const YEAR = 365n * DAY;

function idOf(value: unknown, what = 'proposal id'): bigint {
  try {
    const id = BigInt(value as string);
    if (id > 0n) return id;
  } catch {}
  throw new ChainError('INVALID_MESSAGE', `${what} must be a positive integer, got ${String(value)}`);
}

const STATUSES: readonly ProposalStatus[] = [
  'Pending',
  'Active',
  'Defeated',
  'Queued',
  'Executed',
  'Failed',
  'Expired',
  'Canceled',
];

/**
 * Governance by governance-staked OPEN (DESIGN §4.3): gOPEN locks with checkpointed voting power,
 * proposals that carry ordinary messages executed through the router as GOVERNANCE (Cosmos gov v1),
 * votes counted at the snapshot, quorum, timelock, execution grace and cancellation.
 */
export function govModule(app: App): Module {
  const stake = createGovStakeKeeper();
  app.setKeeper('gov', stake);

  /** A proposal with its messages decoded for people (fields as the registry gives them). */
  const describe = (p: ReturnType<typeof decodeProposal>) => ({
    ...p,
    decoded: p.messages.map((m) => {
      try {
        return { kind: m.kind, fields: app.registry.decodeBody(m.kind, fromHex(m.body)) };
      } catch {
        return { kind: m.kind, fields: null };
      }
    }),
  });

  return {
    name: 'gov',
    params: [
      {
        name: 'unbondingPeriod',
        description: 'seconds between unlocking gOPEN and the release of its OPEN',
        default: 7n * DAY,
        min: 1n,
        max: YEAR,
        unit: 'seconds',
      },
      {
        name: 'votingDelay',
        description:
          'seconds from a proposal to the opening of its vote (the snapshot is the last block before)',
        default: DAY,
        min: 1n,
        max: YEAR,
        unit: 'seconds',
      },
      {
        name: 'votingPeriod',
        description: 'seconds a vote stays open',
        default: 7n * DAY,
        min: 1n,
        max: YEAR,
        unit: 'seconds',
      },
      {
        name: 'timelock',
        description: 'seconds from the end of a passed vote to the earliest execution',
        default: DAY,
        min: 0n,
        max: YEAR,
        unit: 'seconds',
      },
      {
        name: 'executionGrace',
        description: 'seconds after the timelock during which a passed proposal may be executed',
        default: 14n * DAY,
        min: 1n,
        max: YEAR,
        unit: 'seconds',
      },
      {
        name: 'proposalThreshold',
        description: 'gOPEN votes a proposer needs (base units)',
        default: 10_000n * OPEN,
        min: 0n,
        max: 10n ** 9n * OPEN,
        unit: 'OPEN',
      },
      {
        name: 'quorumBps',
        description: 'share of the gOPEN at the snapshot that must vote (For + Against + Abstain)',
        default: 500n,
        min: 1n,
        max: 10_000n,
        unit: 'bps',
      },
      {
        name: 'treasuryQuorumBps',
        description:
          'quorum instead of quorumBps when a message spends or reserves treasury funds, slashes or reverses a slash',
        default: 2_000n,
        min: 1n,
        max: 10_000n,
        unit: 'bps',
      },
      {
        name: 'maxReleasesPerBlock',
        description: 'matured gOPEN unlocks released per block at most (bounded work per block)',
        default: 1_000n,
        min: 1n,
        max: 100_000n,
        unit: 'count',
      },
    ],
    messages: [
      {
        kind: 'GovLock',
        description: 'Lock OPEN into governance as gOPEN (voting power; non-transferable; earns nothing).',
        fields: [{ name: 'amount', type: 'uint256' }],
        baseGas: 15_000n,
        async handle(ctx: Ctx, msg: { from: Address; amount: bigint }) {
          await stake.lock(ctx, msg.from, msg.amount);
        },
      },
      {
        kind: 'GovUnlock',
        description: 'Unlock gOPEN; its votes leave at once, the OPEN returns after the unbonding period.',
        fields: [{ name: 'amount', type: 'uint256' }],
        baseGas: 15_000n,
        async handle(ctx: Ctx, msg: { from: Address; amount: bigint }) {
          await stake.unlock(ctx, msg.from, msg.amount);
        },
      },
      {
        kind: 'GovDelegate',
        description: "Delegate your gOPEN's votes to another address (your own address takes them back).",
        fields: [{ name: 'delegatee', type: 'address' }],
        baseGas: 15_000n,
        async handle(ctx: Ctx, msg: { from: Address; delegatee: Address }) {
          await stake.delegate(ctx, msg.from, msg.delegatee);
        },
      },
      {
        kind: 'Propose',
        description: 'Submit a governance proposal carrying messages to execute if it passes.',
        fields: [
          { name: 'title', type: 'string' },
          { name: 'description', type: 'string' },
          { name: 'messages', type: 'Msg[]' },
        ],
        structs: {
          Msg: [
            { name: 'kind', type: 'string' },
            { name: 'body', type: 'bytes' },
          ],
        },
        baseGas: 50_000n,
        async handle(ctx: Ctx, msg) {
          await submitProposal(ctx, app, stake, msg as Parameters<typeof submitProposal>[3]);
        },
      },
      {
        kind: 'Vote',
        description: 'Vote on an active proposal: support 0 against, 1 for, 2 abstain.',
        fields: [
          { name: 'proposalId', type: 'uint256' },
          { name: 'support', type: 'uint256' },
        ],
        baseGas: 10_000n,
        async handle(ctx: Ctx, msg: { from: Address; proposalId: bigint; support: bigint }) {
          await castVote(ctx, stake, msg);
        },
      },
      {
        kind: 'ExecuteProposal',
        description: 'Execute a passed (Queued) proposal after its timelock; anyone may.',
        fields: [{ name: 'proposalId', type: 'uint256' }],
        baseGas: 20_000n,
        async handle(ctx: Ctx, msg: { from: Address; proposalId: bigint }) {
          await executeProposal(ctx, msg);
        },
      },
      {
        kind: 'CancelProposal',
        description: 'Cancel your own proposal before its vote opens.',
        fields: [{ name: 'proposalId', type: 'uint256' }],
        baseGas: 10_000n,
        async handle(ctx: Ctx, msg: { from: Address; proposalId: bigint }) {
          await cancelProposal(ctx, msg);
        },
      },
    ],

    /** `genesis.modules.gov.locks`: [{ address, amount }] locked from the accounts' genesis balances. */
    async initGenesis(ctx, genesis) {
      for (const [i, lock] of genesisList(genesis.modules?.gov, 'locks', 'gov').entries()) {
        const address = genesisAddress(lock.address, `locks[${i}].address`, 'gov');
        await stake.lock(ctx, address, genesisInteger(lock.amount, `locks[${i}].amount`, 'gov'));
        if (lock.delegatee !== undefined) {
          const to = genesisAddress(lock.delegatee, `locks[${i}].delegatee`, 'gov');
          if (to !== (await stake.delegatee(ctx, address))) await stake.delegate(ctx, address, to);
        }
      }
    },

    async beginBlock(ctx) {
      await advanceProposals(ctx, stake);
    },

    async endBlock(ctx) {
      await stake.releaseMatured(ctx);
    },

    queries: {
      async proposal(q, args) {
        const p = await loadProposal(queryCtx(q, app.keepers), idOf(args.id));
        if (!p) throw new ChainError('NOT_FOUND', `no proposal with id ${String(args.id)}`);
        return describe(p);
      },
      /** Proposals newest first: `status` filter, `limit` (≤ 100), ids below `before`. */
      async proposals(q, args) {
        const status = args.status === undefined ? undefined : String(args.status);
        if (status !== undefined && !STATUSES.includes(status as ProposalStatus)) {
          throw new ChainError('INVALID_MESSAGE', `unknown status ${status}; one of ${STATUSES.join(', ')}`);
        }
        const limit = Math.min(Number(args.limit ?? 20) || 20, 100);
        const before = args.before === undefined ? undefined : idOf(args.before);
        if (before === 1n) return { proposals: [] };
        const opts = before === undefined ? {} : { lte: proposalKey(before - 1n) };
        const out = [];
        for await (const [key, value] of q.state.iterate(PROPOSAL_PREFIX, { ...opts, reverse: true })) {
          const id = new DataView(key.buffer, key.byteOffset + PROPOSAL_PREFIX.length, 8).getBigUint64(0);
          const p = decodeProposal(id, decode(value));
          if (status === undefined || p.status === status) out.push(describe(p));
          if (out.length >= limit) break;
        }
        return { proposals: out };
      },
      async vote(q, args) {
        const voter = parseAddress(String(args.voter));
        const v = await q.state.get(voteKey(idOf(args.id), voter));
        if (!v) return null;
        const [support, weight] = decode(v) as [bigint, bigint];
        return { voter, support, weight };
      },
      /** A proposal's votes by voter address, at most `limit` (≤ 1000). */
      async votes(q, args) {
        const id = idOf(args.id);
        const limit = Math.min(Number(args.limit ?? 100) || 100, 1000);
        const out = [];
        for await (const [key, value] of q.state.iterate(votesPrefix(id), { limit })) {
          const [support, weight] = decode(value) as [bigint, bigint];
          out.push({ voter: addressFromBytes(key.subarray(key.length - 20)), support, weight });
        }
        return { id, votes: out };
      },
      /** An account's gOPEN: locked, delegatee, voting power, unlocks on the way. */
      async stake(q, args) {
        const ctx = queryCtx(q, app.keepers);
        const address = parseAddress(String(args.address));
        const unlocking = [];
        for await (const [key, value] of ctx.iterate(unlockIndexPrefix(address))) {
          const id = new DataView(key.buffer, key.byteOffset + key.length - 8, 8).getBigUint64(0);
          const completionTime = decode(value) as bigint;
          const entry = await ctx.getValue(unlockQueue.key(completionTime, id));
          if (entry !== undefined) unlocking.push(decodeUnlock(id, completionTime, entry));
        }
        return {
          address,
          locked: await stake.locked(ctx, address),
          delegatee: await stake.delegatee(ctx, address),
          votes: await stake.votes(ctx, address),
          unlocking,
        };
      },
      /** Voting power of `address` at the end of block `height` (default: now). */
      async votingPower(q, args) {
        const ctx = queryCtx(q, app.keepers);
        const address = parseAddress(String(args.address));
        const height = args.height === undefined ? BigInt(q.height) : BigInt(args.height as string);
        return {
          address,
          height,
          votes: await stake.votesAt(ctx, address, height),
          total: await stake.totalLockedAt(ctx, height),
        };
      },
      async totals(q) {
        const ctx = queryCtx(q, app.keepers);
        return {
          account: GOV_LOCKED,
          locked: await stake.totalLocked(ctx),
          unlocking: await readInteger(ctx, TOTAL_UNLOCKING_KEY),
        };
      },
    },

    invariants: {
      /** Locks and votes both sum to the total; the locked account covers locked + unlocking. */
      async gOpen(ctx) {
        const total = await stake.totalLocked(ctx);
        let locked = 0n;
        for await (const [, value] of ctx.state.iterate(LOCK_PREFIX)) locked += decode(value) as bigint;
        if (locked !== total) return `locks sum to ${locked} but the total is ${total}`;
        let votes = 0n;
        for await (const [, value] of ctx.state.iterate(VOTES_PREFIX)) votes += decode(value) as bigint;
        if (votes !== total) return `votes sum to ${votes} but ${total} gOPEN is locked`;
        let unlocking = 0n;
        for await (const [, value] of ctx.state.iterate(unlockQueue.prefix)) {
          unlocking += decodeUnlock(0n, 0n, decode(value)).amount;
        }
        const unlockingTotal = await readInteger(ctx, TOTAL_UNLOCKING_KEY);
        if (unlocking !== unlockingTotal)
          return `unlocks sum to ${unlocking}, the total says ${unlockingTotal}`;
        const balance = await ctx.keepers.bank.balance(ctx, GOV_LOCKED);
        return balance >= total + unlocking
          ? undefined
          : `gOPEN account holds ${balance}, less than locked ${total} + unlocking ${unlocking}`;
      },
    },
  };
}
