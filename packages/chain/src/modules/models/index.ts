import { decode, toHex } from '@openledger/core';
import type { App } from '../../app.js';
import { ChainError } from '../../errors.js';
import { genesisAddress, genesisList, genesisString } from '../../genesis-input.js';
import type { Module } from '../../module.js';
import { b32, deriveId, nextSeq } from '../shared/state.js';
import { createModelsKeeper, MODEL_GRANTS } from './keeper.js';
import { approveModel, deprecateModel, registerModel, rejectModel } from './lifecycle.js';
import { MODELS_PARAMS } from './params.js';
import { modelsQueries } from './queries.js';
import { keys, modelFromValue, putModel } from './state.js';
import {
  deployModelVersion,
  publishModelVersion,
  registerTokenizer,
  retireModelVersion,
} from './versions.js';

export { MODEL_GRANTS, type ModelsKeeper } from './keeper.js';
export { modelsDevnetParams } from './params.js';
export type { Model, ModelStage, ModelVersion, Pin, VersionStatus } from './state.js';

/**
 * The models module (DESIGN §4.5, §4.7): the on-chain model registry — stages moved by governance,
 * versions with provenance and immutable rates, deploy and retire — and the registered tokenizers.
 */
export function modelsModule(app: App): Module {
  const keeper = createModelsKeeper();
  app.setKeeper('models', keeper);
  return {
    name: 'models',
    params: MODELS_PARAMS,
    messages: [
      registerModel,
      approveModel,
      rejectModel,
      deprecateModel,
      registerTokenizer,
      publishModelVersion,
      deployModelVersion,
      retireModelVersion,
    ],
    queries: modelsQueries(app),
    /**
     * `genesis.modules.models.models`: models registered at genesis, `{owner, name, baseModel,
     * description, stage}` with stage `Proposed` (default) or `Approved` — the devnet's demo model is
     * Approved at genesis without a governance vote (DESIGN §6). No grant is reserved for them.
     */
    async initGenesis(ctx, genesis) {
      for (const [i, m] of genesisList(genesis.modules?.models, 'models', 'models').entries()) {
        const owner = genesisAddress(m.owner, `models[${i}].owner`, 'models');
        const name = genesisString(m.name, `models[${i}].name`, 'models');
        const stage = genesisString(m.stage, `models[${i}].stage`, 'models', 'Proposed');
        if (stage !== 'Proposed' && stage !== 'Approved') {
          throw new ChainError(
            'INVALID_GENESIS',
            `genesis.modules.models: models[${i}].stage must be Proposed or Approved`,
          );
        }
        if (name === '')
          throw new ChainError('INVALID_GENESIS', `genesis.modules.models: models[${i}].name is empty`);
        const seq = await nextSeq(ctx, keys.modelSeq);
        const id = deriveId('openledger.model', seq);
        putModel(ctx, {
          id,
          owner,
          stage,
          versionCount: 0n,
          grant: 0n,
          grantPaid: 0n,
          grantReserved: 0n,
          deprecatedAt: 0n,
          deployed: false,
          createdHeight: BigInt(ctx.block.height),
        });
        ctx.setValue(keys.meta(id), [
          name,
          genesisString(m.baseModel, `models[${i}].baseModel`, 'models'),
          genesisString(m.description, `models[${i}].description`, 'models'),
        ]);
        ctx.set(keys.byOwner(owner, id), b32(id));
      }
    },
    invariants: {
      /** The grant account holds exactly the grants reserved for first deploys. */
      async grants(ctx) {
        let reserved = 0n;
        for await (const [key, value] of ctx.state.iterate(keys.modelPrefix)) {
          reserved += modelFromValue(toHex(key.subarray(key.length - 32)), decode(value)).grantReserved;
        }
        const balance = await ctx.keepers.bank.balance(ctx, MODEL_GRANTS);
        return reserved === balance
          ? undefined
          : `reserved grants ${reserved} != ${MODEL_GRANTS} balance ${balance}`;
      },
    },
  };
}
