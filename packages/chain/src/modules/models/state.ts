import { type Address, addressToBytes, type Hex, readList, type Value } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { keyspace } from '../../module.js';
import { addr, b32, field, u64 } from '../shared/state.js';

export const mk = keyspace('models');
export const keys = {
  modelSeq: mk('seq'),
  model: (id: Hex) => mk('m', b32(id)),
  modelPrefix: mk('m', ''),
  meta: (id: Hex) => mk('mm', b32(id)),
  version: (id: Hex) => mk('v', b32(id)),
  versionByNumber: (model: Hex, n: bigint) => mk('mv', b32(model), u64(n)),
  versionByNumberPrefix: (model: Hex) => mk('mv', b32(model), ''),
  byOwner: (owner: Address, model: Hex) => mk('o', addr(owner), b32(model)),
  byOwnerPrefix: (owner: Address) => mk('o', addr(owner), ''),
  tokenizer: (hash: Hex) => mk('tok', b32(hash)),
  tokenizerInfo: (hash: Hex) => mk('toki', b32(hash)),
  tokenizerInfoPrefix: mk('toki', ''),
};

export type ModelStage = 'Proposed' | 'Approved' | 'Rejected' | 'Deprecated';
const STAGES: ModelStage[] = ['Proposed', 'Approved', 'Rejected', 'Deprecated'];

export type Model = {
  id: Hex;
  owner: Address;
  stage: ModelStage;
  versionCount: bigint;
  /** Total grant approved by governance, and what of it is paid out so far. */
  grant: bigint;
  grantPaid: bigint;
  /** Reserved, still waiting for the first Deploy. */
  grantReserved: bigint;
  /** Block time from which a Deprecated model counts as deprecated (0 otherwise). */
  deprecatedAt: bigint;
  deployed: boolean;
  createdHeight: bigint;
};

export type ModelMeta = { name: string; baseModel: string; description: string };

export type Pin = { datanet: Hex; version: bigint; root: Hex; rows: bigint };
export type EvalResult = { name: string; value: string };
export type VersionStatus = 'Published' | 'Deployed' | 'Retired';
const STATUSES: VersionStatus[] = ['Published', 'Deployed', 'Retired'];

export type ModelVersion = {
  id: Hex;
  model: Hex;
  number: bigint;
  adapterHash: Hex;
  pins: Pin[];
  trainingConfigHash: Hex;
  tokenizerHash: Hex;
  chatTemplateHash: Hex;
  evaluation: EvalResult[];
  rateInPer1k: bigint;
  rateOutPer1k: bigint;
  operators: Address[];
  operatorShareBps: bigint;
  /** Stored status; a Retired version still serves until `retireAt`. */
  status: VersionStatus;
  deployedAt: bigint;
  /** Block time from which the retirement is effective (0 while not retired). */
  retireAt: bigint;
  publishedHeight: bigint;
};

export function modelToValue(m: Model): Value {
  return [
    addressToBytes(m.owner),
    BigInt(STAGES.indexOf(m.stage)),
    m.versionCount,
    m.grant,
    m.grantPaid,
    m.grantReserved,
    m.deprecatedAt,
    m.deployed,
    m.createdHeight,
  ];
}

export function modelFromValue(id: Hex, v: Value): Model {
  const l = field.list(v, 'model', 9);
  const stage = STAGES[Number(field.big(l[1], 'stage'))];
  if (!stage) throw new ChainError('INTERNAL_ERROR', 'model has an unknown stage');
  return {
    id,
    owner: field.address(l[0], 'owner'),
    stage,
    versionCount: field.big(l[2], 'versionCount'),
    grant: field.big(l[3], 'grant'),
    grantPaid: field.big(l[4], 'grantPaid'),
    grantReserved: field.big(l[5], 'grantReserved'),
    deprecatedAt: field.big(l[6], 'deprecatedAt'),
    deployed: field.bool(l[7], 'deployed'),
    createdHeight: field.big(l[8], 'createdHeight'),
  };
}

export function versionToValue(v: ModelVersion): Value {
  return [
    b32(v.model),
    v.number,
    b32(v.adapterHash),
    v.pins.map((p) => [b32(p.datanet), p.version, b32(p.root), p.rows]),
    b32(v.trainingConfigHash),
    b32(v.tokenizerHash),
    b32(v.chatTemplateHash),
    v.evaluation.map((e) => [e.name, e.value]),
    v.rateInPer1k,
    v.rateOutPer1k,
    v.operators.map(addressToBytes),
    v.operatorShareBps,
    BigInt(STATUSES.indexOf(v.status)),
    v.deployedAt,
    v.retireAt,
    v.publishedHeight,
  ];
}

export function versionFromValue(id: Hex, v: Value): ModelVersion {
  const l = field.list(v, 'modelVersion', 16);
  const status = STATUSES[Number(field.big(l[12], 'status'))];
  if (!status) throw new ChainError('INTERNAL_ERROR', 'model version has an unknown status');
  return {
    id,
    model: field.hex32(l[0], 'model'),
    number: field.big(l[1], 'number'),
    adapterHash: field.hex32(l[2], 'adapterHash'),
    pins: readList(l[3], 'pins').map((p) => {
      const pl = field.list(p, 'pin', 4);
      return {
        datanet: field.hex32(pl[0], 'datanet'),
        version: field.big(pl[1], 'version'),
        root: field.hex32(pl[2], 'root'),
        rows: field.big(pl[3], 'rows'),
      };
    }),
    trainingConfigHash: field.hex32(l[4], 'trainingConfigHash'),
    tokenizerHash: field.hex32(l[5], 'tokenizerHash'),
    chatTemplateHash: field.hex32(l[6], 'chatTemplateHash'),
    evaluation: readList(l[7], 'evaluation').map((e) => {
      const el = field.list(e, 'eval', 2);
      return { name: field.str(el[0], 'name'), value: field.str(el[1], 'value') };
    }),
    rateInPer1k: field.big(l[8], 'rateInPer1k'),
    rateOutPer1k: field.big(l[9], 'rateOutPer1k'),
    operators: field.addresses(l[10], 'operators'),
    operatorShareBps: field.big(l[11], 'operatorShareBps'),
    status,
    deployedAt: field.big(l[13], 'deployedAt'),
    retireAt: field.big(l[14], 'retireAt'),
    publishedHeight: field.big(l[15], 'publishedHeight'),
  };
}

export async function getModel(ctx: Ctx, id: Hex): Promise<Model | undefined> {
  const v = await ctx.getValue(keys.model(id));
  return v === undefined ? undefined : modelFromValue(id, v);
}

export async function requireModel(ctx: Ctx, id: Hex): Promise<Model> {
  const m = await getModel(ctx, id);
  if (!m) {
    throw new ChainError('MODEL_NOT_FOUND', `model ${id} does not exist`, {
      metaMessages: ['List models with `openledger model list`.'],
    });
  }
  return m;
}

export function putModel(ctx: Ctx, m: Model): void {
  ctx.setValue(keys.model(m.id), modelToValue(m));
}

export async function getModelVersion(ctx: Ctx, id: Hex): Promise<ModelVersion | undefined> {
  const v = await ctx.getValue(keys.version(id));
  return v === undefined ? undefined : versionFromValue(id, v);
}

export async function requireModelVersion(ctx: Ctx, id: Hex): Promise<ModelVersion> {
  const v = await getModelVersion(ctx, id);
  if (!v) throw new ChainError('MODEL_VERSION_NOT_FOUND', `model version ${id} does not exist`);
  return v;
}

export function putModelVersion(ctx: Ctx, v: ModelVersion): void {
  ctx.setValue(keys.version(v.id), versionToValue(v));
}

/** A model's stage as it stands at block time `time` (a deprecation takes effect at deprecatedAt). */
export function isApprovedAt(m: Model, time: bigint): boolean {
  return m.stage === 'Approved' || (m.stage === 'Deprecated' && time < m.deprecatedAt);
}

/** Whether the version is Deployed at block time `time` (DESIGN §4.5: retirement takes effect at retireAt). */
export function isDeployedAt(v: ModelVersion, time: bigint): boolean {
  if (v.status === 'Published' || v.deployedAt > time) return false;
  return v.status === 'Deployed' || time < v.retireAt;
}

/** The status shown to people at block time `time`. */
export function statusAt(v: ModelVersion, time: bigint): VersionStatus {
  if (v.status === 'Retired' && time < v.retireAt) return 'Deployed';
  return v.status;
}
