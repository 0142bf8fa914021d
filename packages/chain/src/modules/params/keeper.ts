import { decode } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { keyspace, type ParamDef } from '../../module.js';
import type { StateReader } from '../../state/types.js';

export const paramsKey = keyspace('params');

export function paramKey(module: string, name: string): Uint8Array {
  return paramsKey('v', `${module}.${name}`);
}

export type RegisteredParam = ParamDef & { module: string };

/** The parameter registry (DESIGN §4): every module's parameters, with bounds, in state. */
export interface ParamsKeeper {
  get(ctx: Ctx, module: string, name: string): Promise<bigint>;
  /** Throws NOT_FOUND or PARAM_OUT_OF_BOUNDS unless `value` is allowed for the parameter. */
  check(module: string, name: string, value: bigint): void;
  /** Checks bounds; used by genesis and by the governance `SetParams` message. */
  set(ctx: Ctx, module: string, name: string, value: bigint): Promise<void>;
  definition(module: string, name: string): RegisteredParam;
  all(): RegisteredParam[];
  read(state: StateReader, module: string, name: string): Promise<bigint>;
}

export function createParamsKeeper(definitions: RegisteredParam[]): ParamsKeeper {
  const byId = new Map(definitions.map((d) => [`${d.module}.${d.name}`, d]));
  const definition = (module: string, name: string) => {
    const def = byId.get(`${module}.${name}`);
    if (!def) {
      throw new ChainError('NOT_FOUND', `unknown parameter ${module}.${name}`, {
        metaMessages: ['List parameters with the `params` query (ol_query params.all).'],
      });
    }
    return def;
  };
  const check = (module: string, name: string, value: bigint) => {
    const def = definition(module, name);
    if (value < def.min || value > def.max) {
      throw new ChainError(
        'PARAM_OUT_OF_BOUNDS',
        `parameter ${module}.${name} = ${value} is out of bounds [${def.min}, ${def.max}] (${def.unit})`,
      );
    }
  };
  return {
    definition,
    all: () => [...definitions],
    async get(ctx, module, name) {
      const def = definition(module, name);
      const v = await ctx.getValue(paramKey(module, name));
      return typeof v === 'bigint' ? v : def.default;
    },
    async read(state, module, name) {
      const def = definition(module, name);
      const bytes = await state.get(paramKey(module, name));
      return bytes ? (decode(bytes) as bigint) : def.default;
    },
    check,
    async set(ctx, module, name, value) {
      check(module, name, value);
      ctx.setValue(paramKey(module, name), value);
      ctx.emit('params.set', { module, name, value });
    },
  };
}
