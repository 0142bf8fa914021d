import { decode, toHex } from '@openledger/core';
import type { App } from '../../app.js';
import type { Module } from '../../module.js';
import { createModelsKeeper, MODEL_GRANTS } from './keeper.js';
import { approveModel, deprecateModel, registerModel, rejectModel } from './lifecycle.js';
import { MODELS_PARAMS } from './params.js';
import { modelsQueries } from './queries.js';
import { keys, modelFromValue } from './state.js';
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
