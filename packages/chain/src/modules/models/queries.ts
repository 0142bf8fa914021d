import {
  decode,
  type Hex,
  readBigint,
  readBytes,
  readList,
  readString,
  toChecksumAddress,
  toHex,
} from '@openledger/core';
import type { App } from '../../app.js';
import type { QueryDef } from '../../module.js';
import { argBigint, argHex32, argLimit, argOptionalAddress, argOptionalHex32 } from '../shared/args.js';
import { queryCtx } from '../shared/external.js';
import { getModel, getModelVersion, keys, type ModelVersion, modelFromValue, statusAt } from './state.js';

/** Read-only queries of the models module (RPC `ol_query models.<name>`). */
export function modelsQueries(app: App): Record<string, QueryDef> {
  const describeModel = async (ctx: ReturnType<typeof queryCtx>, id: Hex) => {
    const m = await getModel(ctx, id);
    if (!m) return null;
    const meta = readList(await ctx.getValue(keys.meta(id)), 'meta', 3);
    const versions: Hex[] = [];
    for await (const [, value] of ctx.state.iterate(keys.versionByNumberPrefix(id)))
      versions.push(toHex(value));
    return {
      ...m,
      name: readString(meta[0]),
      baseModel: readString(meta[1]),
      description: readString(meta[2]),
      versions,
    };
  };
  const describeVersion = (v: ModelVersion, time: bigint | undefined) => ({
    ...v,
    ...(time === undefined ? {} : { statusNow: statusAt(v, time) }),
  });
  return {
    async model(q, args) {
      return describeModel(queryCtx(app, q), argHex32(args, 'id'));
    },
    /** Models in id order; filters: owner, stage. */
    async list(q, args) {
      const ctx = queryCtx(app, q);
      const limit = argLimit(args);
      const after = argOptionalHex32(args, 'after');
      const owner = argOptionalAddress(args, 'owner');
      const stage = typeof args.stage === 'string' ? args.stage : undefined;
      const out = [];
      for await (const [key, value] of ctx.state.iterate(
        keys.modelPrefix,
        after ? { gte: keys.model(after) } : {},
      )) {
        const id = toHex(key.subarray(key.length - 32));
        if (after && id === after) continue;
        const m = modelFromValue(id, decode(value));
        if ((owner && m.owner !== owner) || (stage && m.stage !== stage)) continue;
        out.push(await describeModel(ctx, id));
        if (out.length >= limit) break;
      }
      return out;
    },
    /** A version; with `time` (block time) its status as it stands then. */
    async version(q, args) {
      const ctx = queryCtx(app, q);
      const v = await getModelVersion(ctx, argHex32(args, 'id'));
      const time = args.time === undefined ? undefined : argBigint(args, 'time');
      return v ? describeVersion(v, time) : null;
    },
    async versions(q, args) {
      const ctx = queryCtx(app, q);
      const model = argHex32(args, 'model');
      const time = args.time === undefined ? undefined : argBigint(args, 'time');
      const out = [];
      for await (const [, value] of ctx.state.iterate(keys.versionByNumberPrefix(model))) {
        const v = await getModelVersion(ctx, toHex(value));
        if (v) out.push(describeVersion(v, time));
      }
      return out;
    },
    /** A registered tokenizer: size, registrant, height, and (with `withBytes`) its canonical file as hex. */
    async tokenizer(q, args) {
      const ctx = queryCtx(app, q);
      const hash = argHex32(args, 'hash');
      const info = await ctx.getValue(keys.tokenizerInfo(hash));
      if (info === undefined) return null;
      const l = readList(info, 'tokenizerInfo', 3);
      const out: Record<string, unknown> = {
        hash,
        size: readBigint(l[0]),
        registeredBy: toChecksumAddress(readBytes(l[1], 'by', 20)),
        height: readBigint(l[2]),
      };
      if (args.withBytes) out.vocabulary = toHex((await ctx.get(keys.tokenizer(hash))) ?? new Uint8Array());
      return out;
    },
    async tokenizers(q, args) {
      const ctx = queryCtx(app, q);
      const out = [];
      for await (const [key, value] of ctx.state.iterate(keys.tokenizerInfoPrefix, {
        limit: argLimit(args),
      })) {
        const l = readList(decode(value), 'tokenizerInfo', 3);
        out.push({
          hash: toHex(key.subarray(key.length - 32)),
          size: readBigint(l[0]),
          height: readBigint(l[2]),
        });
      }
      return out;
    },
  };
}
