import {
  type Address,
  addressFromBytes,
  fromHex,
  type Hex,
  readBigint,
  readBool,
  readBytes,
  readList,
  readString,
  toHex,
  u64be,
  type Value,
} from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { addressBytes } from '../../state-values.js';
import { TimeQueue } from '../../time-queue.js';
import { govKey } from './stake.js';

export type ProposalStatus =
  | 'Pending'
  | 'Active'
  | 'Defeated'
  | 'Queued'
  | 'Executed'
  | 'Failed'
  | 'Expired'
  | 'Canceled';

/** A message carried by a proposal: its kind and the canonical encoding of its fields (DESIGN §3). */
export type ProposalMessage = { kind: string; body: Hex };

export const SUPPORT = { against: 0n, for: 1n, abstain: 2n } as const;

/**
 * A governance proposal (DESIGN §4.3). Times are block times (seconds): voting is open in blocks whose
 * time is in [voteStart, voteEnd); it may be executed in [executableAt, expiresAt).
 */
export type Proposal = {
  id: bigint;
  proposer: Address;
  title: string;
  description: string;
  messages: ProposalMessage[];
  /** Some message spends or reserves treasury funds, slashes or reverses a slash. */
  treasury: boolean;
  status: ProposalStatus;
  createdHeight: bigint;
  createdTime: bigint;
  voteStart: bigint;
  voteEnd: bigint;
  executableAt: bigint;
  expiresAt: bigint;
  /** quorumBps or treasuryQuorumBps as it was at submission. */
  quorumBps: bigint;
  /** The last block before voting opened (0 while Pending). */
  snapshotHeight: bigint;
  totalAtSnapshot: bigint;
  /** ⌈totalAtSnapshot × quorumBps / 10000⌉ votes (For + Against + Abstain) needed. */
  quorum: bigint;
  forVotes: bigint;
  againstVotes: bigint;
  abstainVotes: bigint;
  /** Why it failed or was defeated; empty otherwise. */
  reason: string;
  /** Height of its last state change. */
  updatedHeight: bigint;
};

export const PROPOSAL_PREFIX = govKey('p', '');
export const PROPOSAL_SEQUENCE_KEY = govKey('pseq');
export const proposalKey = (id: bigint) => govKey('p', u64be(id));
export const voteKey = (id: bigint, voter: Address) => govKey('v', u64be(id), addressBytes(voter));
export const votesPrefix = (id: bigint) => govKey('v', u64be(id), '');
/** The timetable: voting opens, voting closes, execution grace ends. */
export const votingStarts = new TimeQueue(govKey('qs', ''));
export const votingEnds = new TimeQueue(govKey('qe', ''));
export const executionExpiries = new TimeQueue(govKey('qx', ''));

export function encodeProposal(p: Proposal): Value {
  return [
    addressBytes(p.proposer),
    p.title,
    p.description,
    p.messages.map((m) => [m.kind, fromHex(m.body)]),
    p.treasury,
    p.status,
    p.createdHeight,
    p.createdTime,
    p.voteStart,
    p.voteEnd,
    p.executableAt,
    p.expiresAt,
    p.quorumBps,
    p.snapshotHeight,
    p.totalAtSnapshot,
    p.quorum,
    p.forVotes,
    p.againstVotes,
    p.abstainVotes,
    p.reason,
    p.updatedHeight,
  ];
}

export function decodeProposal(id: bigint, value: Value): Proposal {
  const f = readList(value, 'proposal', 21);
  return {
    id,
    proposer: addressFromBytes(readBytes(f[0], 'proposal.proposer', 20)),
    title: readString(f[1]),
    description: readString(f[2]),
    messages: readList(f[3]).map((m) => {
      const [kind, body] = readList(m, 'proposal.message', 2);
      return { kind: readString(kind), body: toHex(readBytes(body)) };
    }),
    treasury: readBool(f[4]),
    status: readString(f[5]) as ProposalStatus,
    createdHeight: readBigint(f[6]),
    createdTime: readBigint(f[7]),
    voteStart: readBigint(f[8]),
    voteEnd: readBigint(f[9]),
    executableAt: readBigint(f[10]),
    expiresAt: readBigint(f[11]),
    quorumBps: readBigint(f[12]),
    snapshotHeight: readBigint(f[13]),
    totalAtSnapshot: readBigint(f[14]),
    quorum: readBigint(f[15]),
    forVotes: readBigint(f[16]),
    againstVotes: readBigint(f[17]),
    abstainVotes: readBigint(f[18]),
    reason: readString(f[19]),
    updatedHeight: readBigint(f[20]),
  };
}

export async function loadProposal(ctx: Ctx, id: bigint): Promise<Proposal | undefined> {
  const v = await ctx.getValue(proposalKey(id));
  return v === undefined ? undefined : decodeProposal(id, v);
}

export async function requireProposal(ctx: Ctx, id: bigint): Promise<Proposal> {
  const p = await loadProposal(ctx, id);
  if (!p) {
    throw new ChainError('NOT_FOUND', `no proposal with id ${id}`, {
      metaMessages: ['List proposals with `openledger gov list`.'],
    });
  }
  return p;
}

export function saveProposal(ctx: Ctx, p: Proposal): void {
  p.updatedHeight = BigInt(ctx.block.height);
  ctx.setValue(proposalKey(p.id), encodeProposal(p));
}

/** ⌈total × bps / 10000⌉ (DESIGN §4.3). */
export function quorumOf(total: bigint, bps: bigint): bigint {
  return (total * bps + 9_999n) / 10_000n;
}
