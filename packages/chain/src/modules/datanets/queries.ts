import { addressFromBytes, decode, type Hex, toHex } from '@openledger/core';
import type { App } from '../../app.js';
import type { QueryDef } from '../../module.js';
import {
  argAddress,
  argBigint,
  argHex32,
  argLimit,
  argOptionalAddress,
  argOptionalHex32,
} from '../shared/args.js';
import { queryCtx } from '../shared/external.js';
import { readAmount } from '../shared/state.js';
import {
  contributionFromValue,
  contributorEntryFromValue,
  datanetFromValue,
  getContribution,
  getDatanet,
  getVersion,
  keys,
  licenceFromValue,
  metaFromValue,
  versionFromValue,
} from './state.js';

/** Read-only queries of the datanets module (RPC `ol_query datanets.<name>`). */
export function datanetsQueries(app: App): Record<string, QueryDef> {
  const describe = async (ctx: ReturnType<typeof queryCtx>, id: Hex) => {
    const d = await getDatanet(ctx, id);
    if (!d) return undefined;
    const meta = await ctx.getValue(keys.meta(id));
    const latest = await getVersion(ctx, id, d.versionCount);
    return {
      ...d,
      ...(meta === undefined ? {} : metaFromValue(meta)),
      visibility: d.private ? 'private' : 'public',
      latestRoot: latest?.root ?? null,
    };
  };
  return {
    /** One Datanet with its metadata and latest version root. */
    async datanet(q, args) {
      const ctx = queryCtx(app, q);
      return (await describe(ctx, argHex32(args, 'id'))) ?? null;
    },
    /** Datanets in id order; `after` pages, `owner` filters. */
    async list(q, args) {
      const ctx = queryCtx(app, q);
      const limit = argLimit(args);
      const after = argOptionalHex32(args, 'after');
      const owner = argOptionalAddress(args, 'owner');
      const out = [];
      for await (const [key, value] of ctx.state.iterate(keys.datanetPrefix, {
        ...(after ? { gte: keys.datanet(after) } : {}),
      })) {
        const id = toHex(key.subarray(key.length - 32));
        if (after && id === after) continue;
        const d = datanetFromValue(id, decode(value));
        if (owner && d.owner !== owner) continue;
        out.push(await describe(ctx, id));
        if (out.length >= limit) break;
      }
      return out;
    },
    /** Versions `from`..`from+limit−1` with their leaves and roots. */
    async versions(q, args) {
      const ctx = queryCtx(app, q);
      const id = argHex32(args, 'datanet');
      const from = argBigint(args, 'from', 1n);
      const limit = argLimit(args, 100);
      const out = [];
      for await (const [key, value] of ctx.state.iterate(keys.versionPrefix(id), {
        gte: keys.version(id, from < 1n ? 1n : from),
        limit,
      })) {
        const v = new DataView(key.buffer, key.byteOffset + key.length - 8, 8).getBigUint64(0);
        out.push(versionFromValue(v, decode(value)));
      }
      return out;
    },
    async version(q, args) {
      const ctx = queryCtx(app, q);
      return (await getVersion(ctx, argHex32(args, 'datanet'), argBigint(args, 'version'))) ?? null;
    },
    /** One contribution with what it can claim now. */
    async contribution(q, args) {
      const ctx = queryCtx(app, q);
      const c = await getContribution(ctx, argHex32(args, 'id'));
      if (!c) return null;
      return { ...c, claimable: await app.keepers.datanets.claimable(ctx, c) };
    },
    /** Contributions of one contributor (every Datanet), with their claimable rewards. */
    async contributions(q, args) {
      const ctx = queryCtx(app, q);
      const contributor = argAddress(args, 'contributor');
      const limit = argLimit(args, 100);
      const after = argOptionalHex32(args, 'after');
      const out = [];
      for await (const [key] of ctx.state.iterate(keys.byContributorPrefix(contributor), {
        ...(after ? { gte: keys.byContributor(contributor, after) } : {}),
      })) {
        const id = toHex(key.subarray(key.length - 32));
        if (after && id === after) continue;
        const c = await getContribution(ctx, id);
        if (c) out.push({ ...c, claimable: await app.keepers.datanets.claimable(ctx, c) });
        if (out.length >= limit) break;
      }
      return out;
    },
    /** The pending queue of a Datanet, oldest first. */
    async pending(q, args) {
      const ctx = queryCtx(app, q);
      const id = argHex32(args, 'datanet');
      const limit = argLimit(args, 100);
      const out = [];
      for await (const [, value] of ctx.state.iterate(keys.pendingPrefix(id), { limit })) {
        const cid = toHex(value);
        const raw = await ctx.getValue(keys.contribution(cid));
        if (raw !== undefined) out.push(contributionFromValue(cid, raw));
      }
      return out;
    },
    /** The on-chain contributor index of a Datanet: each contributor's first version and accepted rows. */
    async contributors(q, args) {
      const ctx = queryCtx(app, q);
      const id = argHex32(args, 'datanet');
      const limit = argLimit(args, 100);
      const out = [];
      for await (const [key, value] of ctx.state.iterate(keys.contributorIndexPrefix(id), { limit })) {
        out.push({
          contributor: addressFromBytes(key.subarray(key.length - 20)),
          ...contributorEntryFromValue(decode(value)),
        });
      }
      return out;
    },
    async licence(q, args) {
      const ctx = queryCtx(app, q);
      const model = argHex32(args, 'model');
      const datanet = argHex32(args, 'datanet');
      const v = await ctx.getValue(keys.licence(model, datanet));
      return v === undefined ? null : licenceFromValue(model, datanet, v);
    },
    async licences(q, args) {
      const ctx = queryCtx(app, q);
      const model = argHex32(args, 'model');
      const out = [];
      for await (const [key, value] of ctx.state.iterate(keys.licencePrefix(model))) {
        out.push(licenceFromValue(model, toHex(key.subarray(key.length - 32)), decode(value)));
      }
      return out;
    },
    async allowList(q, args) {
      const ctx = queryCtx(app, q);
      const id = argHex32(args, 'datanet');
      const out = [];
      for await (const [key] of ctx.state.iterate(keys.allowPrefix(id), { limit: argLimit(args, 500) })) {
        out.push(addressFromBytes(key.subarray(key.length - 20)));
      }
      return out;
    },
    async penalty(q, args) {
      const ctx = queryCtx(app, q);
      const address = argAddress(args, 'address');
      return { address, score: await readAmount(ctx, keys.penalty(address)) };
    },
  };
}
