import type { Address } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { GenesisConfig, Module } from '../../module.js';
import type { ParamsKeeper } from './keeper.js';

export { type ParamsKeeper, paramKey, type RegisteredParam } from './keeper.js';

type ParamChange = { module: string; name: string; value: bigint };

/** The parameter registry module: genesis values and the governance-only `SetParams` message. */
export function paramsModule(keeper: ParamsKeeper): Module {
  return {
    name: 'params',
    messages: [
      {
        kind: 'SetParams',
        description: 'Change governance parameters (only through an executed proposal).',
        authority: 'governance',
        fields: [{ name: 'changes', type: 'ParamChange[]' }],
        structs: {
          ParamChange: [
            { name: 'module', type: 'string' },
            { name: 'name', type: 'string' },
            { name: 'value', type: 'uint256' },
          ],
        },
        baseGas: 10_000n,
        async validate(_ctx: Ctx, msg: { from: Address; changes: ParamChange[] }) {
          if (msg.changes.length === 0)
            throw new ChainError('INVALID_MESSAGE', 'SetParams needs at least one change');
          for (const c of msg.changes) keeper.check(c.module, c.name, c.value);
        },
        async handle(ctx: Ctx, msg: { from: Address; changes: ParamChange[] }) {
          if (msg.changes.length === 0)
            throw new ChainError('INVALID_MESSAGE', 'SetParams needs at least one change');
          for (const c of msg.changes) await keeper.set(ctx, c.module, c.name, c.value);
        },
      },
    ],
    async initGenesis(ctx: Ctx, genesis: GenesisConfig) {
      const overrides = new Map(Object.entries(genesis.params ?? {}));
      for (const def of keeper.all()) {
        const id = `${def.module}.${def.name}`;
        const value = overrides.get(id) ?? def.default;
        overrides.delete(id);
        await keeper.set(ctx, def.module, def.name, value);
      }
      if (overrides.size) {
        throw new ChainError(
          'NOT_FOUND',
          `genesis sets unknown parameters: ${[...overrides.keys()].join(', ')}`,
        );
      }
    },
    queries: {
      async all({ state }) {
        const out = [];
        for (const def of keeper.all())
          out.push({ ...def, value: await keeper.read(state, def.module, def.name) });
        return out;
      },
    },
  };
}
