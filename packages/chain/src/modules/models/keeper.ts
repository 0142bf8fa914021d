import { type Address, type Hex, moduleAddress } from '@openledger/core';
import type { Ctx } from '../../context.js';
import {
  getModel,
  getModelVersion,
  isApprovedAt,
  isDeployedAt,
  keys,
  type Model,
  type ModelVersion,
} from './state.js';

/** Holds grants reserved at approval until the model's first Deploy (DESIGN §4.3, §4.5). */
export const MODEL_GRANTS: Address = moduleAddress('model_grants');

/** What other modules may ask of the model registry. */
export interface ModelsKeeper {
  model(ctx: Ctx, id: Hex): Promise<Model | undefined>;
  version(ctx: Ctx, id: Hex): Promise<ModelVersion | undefined>;
  /**
   * Whether a receipt for `version` with a voucher expiring at `expiry` may settle (DESIGN §4.5): the
   * version was Deployed, and its model Approved, at the voucher's expiry.
   */
  servesAt(model: Model, version: ModelVersion, expiry: bigint): boolean;
  tokenizerRegistered(ctx: Ctx, hash: Hex): Promise<boolean>;
  /** A registered tokenizer's canonical file (challenges tokenise with it, DESIGN §4.7). */
  tokenizerFile(ctx: Ctx, hash: Hex): Promise<Uint8Array | undefined>;
}

declare module '../../keepers.js' {
  interface Keepers {
    models: ModelsKeeper;
  }
}

export function createModelsKeeper(): ModelsKeeper {
  return {
    model: getModel,
    version: getModelVersion,
    servesAt(model, version, expiry) {
      return isDeployedAt(version, expiry) && isApprovedAt(model, expiry);
    },
    async tokenizerRegistered(ctx, hash) {
      return (await ctx.get(keys.tokenizerInfo(hash))) !== undefined;
    },
    tokenizerFile(ctx, hash) {
      return ctx.get(keys.tokenizer(hash));
    },
  };
}
