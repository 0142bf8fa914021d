import type { Hex } from '@openledger/core';
import { ChainError } from '../../errors.js';
import type { MessageDef } from '../../module.js';
import { keys, licenceToValue, requireDatanet } from './state.js';

/**
 * `BuyTrainingLicence` (DESIGN §4.4): once per (model, Datanet), by the model's owner; names a version v
 * ≥ 1 and pays the Datanet's training fee, credited to the rows of versions ≤ v pro rata through the
 * Datanet's Fenwick tree (remainder to the treasury). Every version of the model may then pin any
 * version of the Datanet. PERF: O(log versions).
 */
export const buyTrainingLicence: MessageDef<{ model: Hex; datanet: Hex; version: bigint }> = {
  kind: 'BuyTrainingLicence',
  description:
    'Pay a Datanet’s training fee for a model (its owner only); credited to the rows of versions ≤ version.',
  fields: [
    { name: 'model', type: 'bytes32' },
    { name: 'datanet', type: 'bytes32' },
    { name: 'version', type: 'uint256' },
  ],
  baseGas: 20_000n,
  async handle(ctx, msg) {
    const model = await ctx.keepers.models.model(ctx, msg.model);
    if (!model) throw new ChainError('MODEL_NOT_FOUND', `model ${msg.model} does not exist`);
    if (model.owner.toLowerCase() !== msg.from.toLowerCase()) {
      throw new ChainError(
        'UNAUTHORIZED',
        `only the model owner ${model.owner} may buy its training licences`,
      );
    }
    if (model.stage === 'Rejected' || model.stage === 'Deprecated') {
      throw new ChainError('INVALID_STATE', `model ${msg.model} is ${model.stage}`);
    }
    const d = await requireDatanet(ctx, msg.datanet);
    if (msg.version < 1n || msg.version > d.versionCount) {
      throw new ChainError(
        'VERSION_NOT_FOUND',
        d.versionCount === 0n
          ? `Datanet ${d.id} has no version yet (version 0, the empty Datanet, cannot be licensed)`
          : `Datanet ${d.id} has versions 1 to ${d.versionCount}, not ${msg.version}`,
      );
    }
    if ((await ctx.get(keys.licence(msg.model, d.id))) !== undefined) {
      throw new ChainError(
        'ALREADY_LICENSED',
        `model ${msg.model} already holds a licence for Datanet ${d.id}`,
      );
    }
    const fee = d.trainingFee;
    if (fee > 0n) await ctx.keepers.datanets.creditVersion(ctx, d.id, msg.version, fee, msg.from);
    ctx.setValue(
      keys.licence(msg.model, d.id),
      licenceToValue({
        model: msg.model,
        datanet: d.id,
        version: msg.version,
        fee,
        height: BigInt(ctx.block.height),
        buyer: msg.from,
      }),
    );
    ctx.emit('datanets.licensed', {
      model: msg.model,
      datanet: d.id,
      version: msg.version,
      fee,
      buyer: msg.from,
    });
  },
};
