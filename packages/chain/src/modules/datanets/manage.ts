import type { Address, Hex } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { MessageDef } from '../../module.js';
import { checkAddressList, checkText, deriveId, nextSeq } from '../shared/state.js';
import { type Datanet, type DatanetMeta, keys, metaToValue, putDatanet, requireDatanet } from './state.js';

/** Limits on Datanet metadata (DESIGN §4.4 is silent; these keep state and gas bounded). */
export const LIMITS = {
  name: 128,
  summary: 512,
  description: 16_384,
  tags: 16,
  tagBytes: 32,
  license: 128,
  curators: 32,
  allowListPerMessage: 256,
} as const;

type MetaFields = {
  name: string;
  summary: string;
  description: string;
  tags: string[];
  visibility: string;
  license: string;
  curators: Address[];
  trainingFee: bigint;
  contributorBond: bigint;
};

const META_FIELDS = [
  { name: 'name', type: 'string' },
  { name: 'summary', type: 'string' },
  { name: 'description', type: 'string' },
  { name: 'tags', type: 'string[]' },
  { name: 'visibility', type: 'string' },
  { name: 'license', type: 'string' },
  { name: 'curators', type: 'address[]' },
  { name: 'trainingFee', type: 'uint256' },
  { name: 'contributorBond', type: 'uint256' },
] as const;

function checkMeta(m: MetaFields): { meta: DatanetMeta; isPrivate: boolean } {
  checkText('name', m.name, LIMITS.name, true);
  checkText('summary', m.summary, LIMITS.summary);
  checkText('description', m.description, LIMITS.description);
  checkText('license', m.license, LIMITS.license);
  if (m.tags.length > LIMITS.tags) {
    throw new ChainError(
      'INVALID_MESSAGE',
      `a Datanet has at most ${LIMITS.tags} tags, got ${m.tags.length}`,
    );
  }
  for (const t of m.tags) checkText('tag', t, LIMITS.tagBytes, true);
  if (m.visibility !== 'public' && m.visibility !== 'private') {
    throw new ChainError(
      'INVALID_MESSAGE',
      `visibility must be "public" or "private", got "${m.visibility}"`,
    );
  }
  checkAddressList('curators', m.curators, LIMITS.curators);
  return {
    meta: { name: m.name, summary: m.summary, description: m.description, tags: m.tags, license: m.license },
    isPrivate: m.visibility === 'private',
  };
}

function requireOwner(d: Datanet, who: Address, what: string): void {
  if (d.owner.toLowerCase() !== who.toLowerCase()) {
    throw new ChainError('UNAUTHORIZED', `only the Datanet owner ${d.owner} may ${what}`);
  }
}

function setAllow(ctx: Ctx, id: Hex, add: readonly Address[], remove: readonly Address[]): void {
  for (const a of add) ctx.setValue(keys.allow(id, a), true);
  for (const a of remove) ctx.delete(keys.allow(id, a));
  if (add.length || remove.length)
    ctx.emit('datanets.allowList', { datanet: id, added: add.join(','), removed: remove.join(',') });
}

/** `CreateDatanet` (DESIGN §4.4): all its metadata; the sender owns it; curators default to the owner. */
export const createDatanet: MessageDef<MetaFields & { allowList: Address[] }> = {
  kind: 'CreateDatanet',
  description:
    'Create a Datanet (owner = sender) with its metadata, curators, training fee and contributor bond.',
  fields: [...META_FIELDS, { name: 'allowList', type: 'address[]' }],
  baseGas: 20_000n,
  async handle(ctx, msg) {
    const { meta, isPrivate } = checkMeta(msg);
    checkAddressList('allowList', msg.allowList, LIMITS.allowListPerMessage);
    if (!isPrivate && msg.allowList.length > 0) {
      throw new ChainError('INVALID_MESSAGE', 'only a private Datanet has an allow-list');
    }
    const seq = await nextSeq(ctx, keys.datanetSeq);
    const id = deriveId('openledger.datanet', seq);
    const datanet: Datanet = {
      id,
      owner: msg.from,
      private: isPrivate,
      trainingFee: msg.trainingFee,
      contributorBond: msg.contributorBond,
      curators: msg.curators.length ? msg.curators : [msg.from],
      versionCount: 0n,
      totalRows: 0n,
      contributionSeq: 0n,
      createdHeight: BigInt(ctx.block.height),
    };
    putDatanet(ctx, datanet);
    ctx.setValue(keys.meta(id), metaToValue(meta));
    ctx.emit('datanets.created', {
      datanet: id,
      owner: msg.from,
      name: meta.name,
      visibility: msg.visibility,
      trainingFee: msg.trainingFee,
      contributorBond: msg.contributorBond,
    });
    setAllow(ctx, id, msg.allowList, []);
  },
};

/** `UpdateDatanet`: replaces the metadata, curators, fee and bond (owner only; later contributions and licences). */
export const updateDatanet: MessageDef<MetaFields & { datanet: Hex }> = {
  kind: 'UpdateDatanet',
  description:
    'Update a Datanet’s metadata, visibility, curators, training fee and contributor bond (owner only).',
  fields: [{ name: 'datanet', type: 'bytes32' }, ...META_FIELDS],
  baseGas: 10_000n,
  async handle(ctx, msg) {
    const d = await requireDatanet(ctx, msg.datanet);
    requireOwner(d, msg.from, 'update it');
    const { meta, isPrivate } = checkMeta(msg);
    putDatanet(ctx, {
      ...d,
      private: isPrivate,
      trainingFee: msg.trainingFee,
      contributorBond: msg.contributorBond,
      curators: msg.curators.length ? msg.curators : [d.owner],
    });
    ctx.setValue(keys.meta(d.id), metaToValue(meta));
    ctx.emit('datanets.updated', {
      datanet: d.id,
      name: meta.name,
      visibility: msg.visibility,
      trainingFee: msg.trainingFee,
      contributorBond: msg.contributorBond,
    });
  },
};

/** `SetDatanetAllowList`: adds and removes addresses allowed to contribute to a private Datanet. */
export const setDatanetAllowList: MessageDef<{ datanet: Hex; add: Address[]; remove: Address[] }> = {
  kind: 'SetDatanetAllowList',
  description: 'Add or remove addresses on a private Datanet’s allow-list (owner only).',
  fields: [
    { name: 'datanet', type: 'bytes32' },
    { name: 'add', type: 'address[]' },
    { name: 'remove', type: 'address[]' },
  ],
  baseGas: 5_000n,
  async handle(ctx, msg) {
    const d = await requireDatanet(ctx, msg.datanet);
    requireOwner(d, msg.from, 'change its allow-list');
    checkAddressList('add', msg.add, LIMITS.allowListPerMessage);
    checkAddressList('remove', msg.remove, LIMITS.allowListPerMessage);
    if (msg.add.length + msg.remove.length === 0) {
      throw new ChainError(
        'INVALID_MESSAGE',
        'SetDatanetAllowList needs at least one address to add or remove',
      );
    }
    const both = msg.add.find((a) => msg.remove.some((r) => r.toLowerCase() === a.toLowerCase()));
    if (both) throw new ChainError('INVALID_MESSAGE', `${both} is both added and removed`);
    setAllow(ctx, d.id, msg.add, msg.remove);
  },
};
