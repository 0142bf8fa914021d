import type { MessageFields } from '@openledger/chain';
import { type Address, type Hex, parseAddress, parseOpen, toHex } from '@openledger/core';
import type { OpenLedgerClient, SendOptions, Sent } from './client.js';
import type { Signer } from './signer.js';
import { ACTION_GAS_LIMIT, type Amount } from './staking.js';

/** A message to carry in a proposal, as its kind and fields (JSON-friendly values are accepted). */
export type ProposalMessageInput = { kind: string; fields: MessageFields };
/** A message as a proposal carries it: the kind and the canonical encoding of its fields (DESIGN §3). */
export type EncodedMessage = { kind: string; body: Hex };

export type Support = 'for' | 'against' | 'abstain';
/** Vote codes of the `Vote` message. */
export const SUPPORT_CODE: Record<Support, bigint> = { against: 0n, for: 1n, abstain: 2n };

const amountOf = (a: Amount) => (typeof a === 'bigint' ? a : parseOpen(a));
const withGas = (opts: SendOptions = {}): SendOptions => ({ gasLimit: ACTION_GAS_LIMIT, ...opts });

/** Encodes a message's fields canonically with the node's message types (what `Msg.body` holds). */
export async function encodeProposalMessage(
  client: OpenLedgerClient,
  message: ProposalMessageInput,
): Promise<EncodedMessage> {
  const registry = await client.messageRegistry();
  const fields = registry.normalize(message.kind, message.fields, false);
  return { kind: message.kind, body: toHex(registry.encodeBody(message.kind, fields)) };
}

export type ProposeParameters = {
  title: string;
  description?: string;
  messages: Array<ProposalMessageInput | EncodedMessage>;
};

/** Submits a governance proposal carrying `messages` (DESIGN §4.3). */
export async function propose(
  client: OpenLedgerClient,
  signer: Signer,
  p: ProposeParameters,
  opts?: SendOptions,
): Promise<Sent> {
  const messages = await Promise.all(
    p.messages.map((m) => ('body' in m ? m : encodeProposalMessage(client, m as ProposalMessageInput))),
  );
  return client.send(
    signer,
    'Propose',
    { title: p.title, description: p.description ?? '', messages },
    withGas(opts),
  );
}

/** The id of the proposal a `Propose` receipt created. */
export function proposalIdOf(receipt: {
  events: Array<{ type: string; attributes: Array<[string, string]> }>;
}) {
  const e = receipt.events.find((x) => x.type === 'gov.propose');
  const id = e?.attributes.find(([k]) => k === 'id')?.[1];
  return id === undefined ? undefined : BigInt(id);
}

export function vote(
  client: OpenLedgerClient,
  signer: Signer,
  id: bigint,
  support: Support,
  opts?: SendOptions,
) {
  return client.send(signer, 'Vote', { proposalId: id, support: SUPPORT_CODE[support] }, withGas(opts));
}

export function executeProposal(client: OpenLedgerClient, signer: Signer, id: bigint, opts?: SendOptions) {
  return client.send(signer, 'ExecuteProposal', { proposalId: id }, withGas(opts));
}

export function cancelProposal(client: OpenLedgerClient, signer: Signer, id: bigint, opts?: SendOptions) {
  return client.send(signer, 'CancelProposal', { proposalId: id }, withGas(opts));
}

/** Locks OPEN into governance as gOPEN. */
export function lockGov(client: OpenLedgerClient, signer: Signer, amount: Amount, opts?: SendOptions) {
  return client.send(signer, 'GovLock', { amount: amountOf(amount) }, withGas(opts));
}

/** Unlocks gOPEN; the OPEN returns after the governance unbonding period. */
export function unlockGov(client: OpenLedgerClient, signer: Signer, amount: Amount, opts?: SendOptions) {
  return client.send(signer, 'GovUnlock', { amount: amountOf(amount) }, withGas(opts));
}

/** Delegates the signer's gOPEN votes (its own address takes them back). */
export function delegateGov(client: OpenLedgerClient, signer: Signer, delegatee: string, opts?: SendOptions) {
  return client.send(signer, 'GovDelegate', { delegatee: parseAddress(delegatee) }, withGas(opts));
}

/** A proposal as the node reports it (amounts and times as decimal strings), with its messages decoded. */
export type ProposalInfo = Record<string, unknown> & {
  id: string;
  status: string;
  title: string;
  proposer: Address;
  forVotes: string;
  againstVotes: string;
  abstainVotes: string;
  quorum: string;
  voteStart: string;
  voteEnd: string;
  executableAt: string;
  expiresAt: string;
  reason: string;
  decoded: Array<{ kind: string; fields: unknown }>;
};

export function getProposal(client: OpenLedgerClient, id: bigint): Promise<ProposalInfo> {
  return client.query<ProposalInfo>('gov.proposal', { id: id.toString() });
}

export async function listProposals(
  client: OpenLedgerClient,
  filter: { status?: string; limit?: number; before?: bigint } = {},
): Promise<ProposalInfo[]> {
  const args: Record<string, unknown> = {};
  if (filter.status) args.status = filter.status;
  if (filter.limit) args.limit = filter.limit;
  if (filter.before) args.before = filter.before.toString();
  return (await client.query<{ proposals: ProposalInfo[] }>('gov.proposals', args)).proposals;
}

/** An account's gOPEN: locked, delegatee, current votes and unlocks on the way. */
export async function getGovStake(client: OpenLedgerClient, address: string) {
  const r = await client.query<{
    address: Address;
    locked: string;
    delegatee: Address;
    votes: string;
    unlocking: Array<Record<string, string>>;
  }>('gov.stake', { address: parseAddress(address) });
  return {
    address: r.address,
    locked: BigInt(r.locked),
    delegatee: r.delegatee,
    votes: BigInt(r.votes),
    unlocking: r.unlocking.map((u) => ({
      id: BigInt(u.id!),
      amount: BigInt(u.amount!),
      completionTime: BigInt(u.completionTime!),
    })),
  };
}
