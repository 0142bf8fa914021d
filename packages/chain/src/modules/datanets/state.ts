import { type Address, addressToBytes, fromHex, type Hex, readList, type Value } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { keyspace } from '../../module.js';
import { addr, b32, field, u64 } from '../shared/state.js';

/** State keys of the datanets module (all under `datanets/`). */
export const dk = keyspace('datanets');
export const keys = {
  datanetSeq: dk('seq'),
  datanet: (id: Hex) => dk('d', b32(id)),
  datanetPrefix: dk('d', ''),
  meta: (id: Hex) => dk('dm', b32(id)),
  frontier: (id: Hex) => dk('f', b32(id)),
  version: (id: Hex, v: bigint) => dk('v', b32(id), u64(v)),
  versionPrefix: (id: Hex) => dk('v', b32(id), ''),
  fenwick: (id: Hex) => {
    const prefix = b32(id);
    return (i: bigint) => dk('fw', prefix, u64(i));
  },
  contribution: (cid: Hex) => dk('c', b32(cid)),
  pending: (id: Hex, seq: bigint) => dk('p', b32(id), u64(seq)),
  pendingPrefix: (id: Hex) => dk('p', b32(id), ''),
  byContributor: (contributor: Address, cid: Hex) => dk('bc', addr(contributor), b32(cid)),
  byContributorPrefix: (contributor: Address) => dk('bc', addr(contributor), ''),
  contributorIndex: (id: Hex, contributor: Address) => dk('ci', b32(id), addr(contributor)),
  contributorIndexPrefix: (id: Hex) => dk('ci', b32(id), ''),
  allow: (id: Hex, a: Address) => dk('al', b32(id), addr(a)),
  allowPrefix: (id: Hex) => dk('al', b32(id), ''),
  licence: (model: Hex, datanet: Hex) => dk('lic', b32(model), b32(datanet)),
  licencePrefix: (model: Hex) => dk('lic', b32(model), ''),
  penalty: (a: Address) => dk('pen', addr(a)),
  blob: (id: Hex, blobHash: Hex) => dk('cb', b32(id), b32(blobHash)),
};

/** The hot part of a Datanet (read by settlement and licences): no long text. */
export type Datanet = {
  id: Hex;
  owner: Address;
  private: boolean;
  /** Paid once per (model, Datanet) for a training licence, credited to the rows (DESIGN §4.4). */
  trainingFee: bigint;
  /** Locked by each contribution; returned after approval + bondReleaseDelay, slashed if adversarial. */
  contributorBond: bigint;
  curators: Address[];
  /** Number of versions = approved contributions (version n is the tree of the first n leaves). */
  versionCount: bigint;
  /** Accepted rows over all versions. */
  totalRows: bigint;
  contributionSeq: bigint;
  createdHeight: bigint;
};

export type DatanetMeta = {
  name: string;
  summary: string;
  description: string;
  tags: string[];
  license: string;
};

export type VersionRecord = {
  version: bigint;
  contribution: Hex;
  contributor: Address;
  firstRow: bigint;
  rowCount: bigint;
  rowsRoot: Hex;
  leaf: Hex;
  /** Root of the tree of the first `version` leaves. */
  root: Hex;
  approvalHeight: bigint;
  approvalTime: bigint;
};

export type ContributionStatus = 'pending' | 'approved' | 'rejected';
const STATUS: ContributionStatus[] = ['pending', 'approved', 'rejected'];

export type Contribution = {
  id: Hex;
  datanet: Hex;
  seq: bigint;
  contributor: Address;
  blobHash: Hex;
  size: bigint;
  rowCount: bigint;
  rowsRoot: Hex;
  status: ContributionStatus;
  /** The version its approval created (0 while pending or rejected). */
  version: bigint;
  /** Bond still held by the module for this contribution. */
  bond: bigint;
  submittedHeight: bigint;
  decidedHeight: bigint;
  /** Reward-per-row (×10^18) already paid out to this contribution (Fenwick suffix at the last claim). */
  claimedPerRow: bigint;
  /** Block time from which the bond may be withdrawn (approved contributions). */
  bondReleaseAt: bigint;
  flagged: boolean;
  adversarial: boolean;
};

export type ContributorEntry = {
  /** Lowest version holding one of its accepted contributions: it has rows in every version ≥ this. */
  firstVersion: bigint;
  acceptedRows: bigint;
  acceptedContributions: bigint;
};

export type Licence = {
  model: Hex;
  datanet: Hex;
  version: bigint;
  fee: bigint;
  height: bigint;
  buyer: Address;
};

export function datanetToValue(d: Datanet): Value {
  return [
    addressToBytes(d.owner),
    d.private,
    d.trainingFee,
    d.contributorBond,
    d.curators.map(addressToBytes),
    d.versionCount,
    d.totalRows,
    d.contributionSeq,
    d.createdHeight,
  ];
}

export function datanetFromValue(id: Hex, v: Value): Datanet {
  const l = field.list(v, 'datanet', 9);
  return {
    id,
    owner: field.address(l[0], 'owner'),
    private: field.bool(l[1], 'private'),
    trainingFee: field.big(l[2], 'trainingFee'),
    contributorBond: field.big(l[3], 'contributorBond'),
    curators: field.addresses(l[4], 'curators'),
    versionCount: field.big(l[5], 'versionCount'),
    totalRows: field.big(l[6], 'totalRows'),
    contributionSeq: field.big(l[7], 'contributionSeq'),
    createdHeight: field.big(l[8], 'createdHeight'),
  };
}

export function metaToValue(m: DatanetMeta): Value {
  return [m.name, m.summary, m.description, m.tags, m.license];
}

export function metaFromValue(v: Value): DatanetMeta {
  const l = field.list(v, 'meta', 5);
  return {
    name: field.str(l[0], 'name'),
    summary: field.str(l[1], 'summary'),
    description: field.str(l[2], 'description'),
    tags: readList(l[3], 'tags').map((t, i) => field.str(t, `tags[${i}]`)),
    license: field.str(l[4], 'license'),
  };
}

export function versionToValue(r: VersionRecord): Value {
  return [
    b32(r.contribution),
    addr(r.contributor),
    r.firstRow,
    r.rowCount,
    b32(r.rowsRoot),
    b32(r.leaf),
    b32(r.root),
    r.approvalHeight,
    r.approvalTime,
  ];
}

export function versionFromValue(version: bigint, v: Value): VersionRecord {
  const l = field.list(v, 'version', 9);
  return {
    version,
    contribution: field.hex32(l[0], 'contribution'),
    contributor: field.address(l[1], 'contributor'),
    firstRow: field.big(l[2], 'firstRow'),
    rowCount: field.big(l[3], 'rowCount'),
    rowsRoot: field.hex32(l[4], 'rowsRoot'),
    leaf: field.hex32(l[5], 'leaf'),
    root: field.hex32(l[6], 'root'),
    approvalHeight: field.big(l[7], 'approvalHeight'),
    approvalTime: field.big(l[8], 'approvalTime'),
  };
}

export function contributionToValue(c: Contribution): Value {
  return [
    b32(c.datanet),
    c.seq,
    addr(c.contributor),
    b32(c.blobHash),
    c.size,
    c.rowCount,
    b32(c.rowsRoot),
    BigInt(STATUS.indexOf(c.status)),
    c.version,
    c.bond,
    c.submittedHeight,
    c.decidedHeight,
    c.claimedPerRow,
    c.bondReleaseAt,
    c.flagged,
    c.adversarial,
  ];
}

export function contributionFromValue(id: Hex, v: Value): Contribution {
  const l = field.list(v, 'contribution', 16);
  const status = STATUS[Number(field.big(l[7], 'status'))];
  if (!status) throw new ChainError('INTERNAL_ERROR', 'contribution has an unknown status');
  return {
    id,
    datanet: field.hex32(l[0], 'datanet'),
    seq: field.big(l[1], 'seq'),
    contributor: field.address(l[2], 'contributor'),
    blobHash: field.hex32(l[3], 'blobHash'),
    size: field.big(l[4], 'size'),
    rowCount: field.big(l[5], 'rowCount'),
    rowsRoot: field.hex32(l[6], 'rowsRoot'),
    status,
    version: field.big(l[8], 'version'),
    bond: field.big(l[9], 'bond'),
    submittedHeight: field.big(l[10], 'submittedHeight'),
    decidedHeight: field.big(l[11], 'decidedHeight'),
    claimedPerRow: field.big(l[12], 'claimedPerRow'),
    bondReleaseAt: field.big(l[13], 'bondReleaseAt'),
    flagged: field.bool(l[14], 'flagged'),
    adversarial: field.bool(l[15], 'adversarial'),
  };
}

export function contributorEntryFromValue(v: Value): ContributorEntry {
  const l = field.list(v, 'contributorEntry', 3);
  return {
    firstVersion: field.big(l[0], 'firstVersion'),
    acceptedRows: field.big(l[1], 'acceptedRows'),
    acceptedContributions: field.big(l[2], 'acceptedContributions'),
  };
}

export function contributorEntryToValue(e: ContributorEntry): Value {
  return [e.firstVersion, e.acceptedRows, e.acceptedContributions];
}

export function licenceToValue(l: Licence): Value {
  return [l.version, l.fee, l.height, addr(l.buyer)];
}

export function licenceFromValue(model: Hex, datanet: Hex, v: Value): Licence {
  const l = field.list(v, 'licence', 4);
  return {
    model,
    datanet,
    version: field.big(l[0], 'version'),
    fee: field.big(l[1], 'fee'),
    height: field.big(l[2], 'height'),
    buyer: field.address(l[3], 'buyer'),
  };
}

export type Frontier = { size: number; nodes: Uint8Array[] };

export function frontierToValue(f: Frontier): Value {
  return [BigInt(f.size), f.nodes];
}

export function frontierFromValue(v: Value): Frontier {
  const l = field.list(v, 'frontier', 2);
  return {
    size: Number(field.big(l[0], 'size')),
    nodes: readList(l[1], 'nodes').map((n) => fromHex(field.hex32(n, 'node'))),
  };
}

// ----- typed accessors over ctx -----

export async function getDatanet(ctx: Ctx, id: Hex): Promise<Datanet | undefined> {
  const v = await ctx.getValue(keys.datanet(id));
  return v === undefined ? undefined : datanetFromValue(id, v);
}

export async function requireDatanet(ctx: Ctx, id: Hex): Promise<Datanet> {
  const d = await getDatanet(ctx, id);
  if (!d) {
    throw new ChainError('DATANET_NOT_FOUND', `Datanet ${id} does not exist`, {
      metaMessages: ['List Datanets with `openledger datanet list`.'],
    });
  }
  return d;
}

export function putDatanet(ctx: Ctx, d: Datanet): void {
  ctx.setValue(keys.datanet(d.id), datanetToValue(d));
}

export async function getContribution(ctx: Ctx, cid: Hex): Promise<Contribution | undefined> {
  const v = await ctx.getValue(keys.contribution(cid));
  return v === undefined ? undefined : contributionFromValue(cid, v);
}

export async function requireContribution(ctx: Ctx, cid: Hex): Promise<Contribution> {
  const c = await getContribution(ctx, cid);
  if (!c) throw new ChainError('CONTRIBUTION_NOT_FOUND', `contribution ${cid} does not exist`);
  return c;
}

export function putContribution(ctx: Ctx, c: Contribution): void {
  ctx.setValue(keys.contribution(c.id), contributionToValue(c));
}

export async function getVersion(ctx: Ctx, id: Hex, version: bigint): Promise<VersionRecord | undefined> {
  if (version < 1n) return undefined;
  const v = await ctx.getValue(keys.version(id, version));
  return v === undefined ? undefined : versionFromValue(version, v);
}

export async function getContributorEntry(
  ctx: Ctx,
  id: Hex,
  contributor: Address,
): Promise<ContributorEntry | undefined> {
  const v = await ctx.getValue(keys.contributorIndex(id, contributor));
  return v === undefined ? undefined : contributorEntryFromValue(v);
}

export function isCurator(d: Datanet, who: Address): boolean {
  const w = who.toLowerCase();
  return d.owner.toLowerCase() === w || d.curators.some((c) => c.toLowerCase() === w);
}
