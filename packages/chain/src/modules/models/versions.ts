import { type Address, compareBytes, fromHex, type Hex, sha256, toHex } from '@openledger/core';
import { parseTokenizerFile } from '@openledger/tokenizer';
import { ChainError } from '../../errors.js';
import type { MessageDef } from '../../module.js';
import { TREASURY } from '../bank/keeper.js';
import { BPS, b32, checkAddressList, checkText, deriveId, isZeroHash, param } from '../shared/state.js';
import { MODEL_GRANTS } from './keeper.js';
import {
  type EvalResult,
  isApprovedAt,
  keys,
  type ModelVersion,
  type Pin,
  putModel,
  putModelVersion,
  requireModel,
  requireModelVersion,
} from './state.js';

/** Limits of a version's provenance (DESIGN is silent; they bound state and gas). */
export const VERSION_LIMITS = { operators: 32, evaluation: 32, evalName: 64, evalValue: 256 } as const;

/**
 * `RegisterTokenizer` (DESIGN §4.7): stores a canonical tokenizer file in state under its sha-256, paying
 * `tokenizerByteGas` per byte on top of the transaction bytes. Model versions may pin only registered ones.
 */
export const registerTokenizer: MessageDef<{ vocabulary: Hex }> = {
  kind: 'RegisterTokenizer',
  description: 'Store a canonical tokenizer file on chain under its sha-256 hash.',
  fields: [{ name: 'vocabulary', type: 'bytes' }],
  baseGas: 20_000n,
  async handle(ctx, msg) {
    const bytes = fromHex(msg.vocabulary);
    ctx.gas.consume(
      BigInt(bytes.length) * (await param(ctx, 'models', 'tokenizerByteGas')),
      'tokenizer bytes',
    );
    try {
      parseTokenizerFile(bytes);
    } catch (e) {
      throw new ChainError(
        'INVALID_TOKENIZER',
        `not a canonical tokenizer file: ${(e as Error).message.split('\n')[0]}`,
      );
    }
    const hash = toHex(sha256(bytes));
    if ((await ctx.get(keys.tokenizerInfo(hash))) !== undefined) {
      throw new ChainError('ALREADY_EXISTS', `tokenizer ${hash} is already registered`);
    }
    ctx.set(keys.tokenizer(hash), bytes);
    ctx.setValue(keys.tokenizerInfo(hash), [
      BigInt(bytes.length),
      fromHex(msg.from),
      BigInt(ctx.block.height),
    ]);
    ctx.emit('models.tokenizerRegistered', { hash, size: bytes.length, by: msg.from });
  },
};

type PublishFields = {
  model: Hex;
  adapterHash: Hex;
  datanets: { datanet: Hex; version: bigint }[];
  trainingConfigHash: Hex;
  tokenizerHash: Hex;
  chatTemplateHash: Hex;
  evaluation: EvalResult[];
  rateInPer1k: bigint;
  rateOutPer1k: bigint;
  operators: Address[];
  operatorShareBps: bigint;
};

/**
 * `PublishModelVersion` (DESIGN §4.5): a version with its provenance — adapter blob, pinned Datanet
 * versions (≤ maxPinnedDatanets, one per Datanet, each covered by the model's training licence),
 * training config, registered tokenizer, chat template, evaluation results — and its immutable rates
 * (within the governance bounds), operators and operatorShareBps. Owner only; stage Proposed or Approved.
 */
export const publishModelVersion: MessageDef<PublishFields> = {
  kind: 'PublishModelVersion',
  description:
    'Publish a model version with its provenance, rates, operators and operator share (owner only).',
  fields: [
    { name: 'model', type: 'bytes32' },
    { name: 'adapterHash', type: 'bytes32' },
    { name: 'datanets', type: 'DatanetPin[]' },
    { name: 'trainingConfigHash', type: 'bytes32' },
    { name: 'tokenizerHash', type: 'bytes32' },
    { name: 'chatTemplateHash', type: 'bytes32' },
    { name: 'evaluation', type: 'EvalResult[]' },
    { name: 'rateInPer1k', type: 'uint256' },
    { name: 'rateOutPer1k', type: 'uint256' },
    { name: 'operators', type: 'address[]' },
    { name: 'operatorShareBps', type: 'uint256' },
  ],
  structs: {
    DatanetPin: [
      { name: 'datanet', type: 'bytes32' },
      { name: 'version', type: 'uint256' },
    ],
    EvalResult: [
      { name: 'name', type: 'string' },
      { name: 'value', type: 'string' },
    ],
  },
  baseGas: 30_000n,
  async handle(ctx, msg) {
    const m = await requireModel(ctx, msg.model);
    if (m.owner.toLowerCase() !== msg.from.toLowerCase()) {
      throw new ChainError('UNAUTHORIZED', `only the model owner ${m.owner} may publish versions`);
    }
    if (m.stage !== 'Proposed' && m.stage !== 'Approved') {
      throw new ChainError('INVALID_STAGE', `model ${m.id} is ${m.stage}; it takes no new versions`);
    }
    for (const [name, hash] of [
      ['adapterHash', msg.adapterHash],
      ['trainingConfigHash', msg.trainingConfigHash],
      ['chatTemplateHash', msg.chatTemplateHash],
    ] as const) {
      if (isZeroHash(hash)) throw new ChainError('INVALID_MESSAGE', `${name} must be a real sha-256 hash`);
    }
    if (!(await ctx.keepers.models.tokenizerRegistered(ctx, msg.tokenizerHash))) {
      throw new ChainError(
        'TOKENIZER_NOT_REGISTERED',
        `tokenizer ${msg.tokenizerHash} is not registered on chain`,
        {
          metaMessages: ['Register it first with a RegisterTokenizer transaction.'],
        },
      );
    }
    const [minRate, maxRate] = [
      await param(ctx, 'models', 'minRatePer1k'),
      await param(ctx, 'models', 'maxRatePer1k'),
    ];
    for (const [name, rate] of [
      ['rateInPer1k', msg.rateInPer1k],
      ['rateOutPer1k', msg.rateOutPer1k],
    ] as const) {
      if (rate < minRate || rate > maxRate) {
        throw new ChainError(
          'RATE_OUT_OF_BOUNDS',
          `${name} ${rate} is outside the governance bounds [${minRate}, ${maxRate}]`,
        );
      }
    }
    if (msg.operatorShareBps > BPS) {
      throw new ChainError('INVALID_MESSAGE', `operatorShareBps ${msg.operatorShareBps} exceeds 10000`);
    }
    if (msg.operators.length === 0)
      throw new ChainError('INVALID_MESSAGE', 'a version needs at least one operator');
    checkAddressList('operators', msg.operators, VERSION_LIMITS.operators);
    if (msg.evaluation.length > VERSION_LIMITS.evaluation) {
      throw new ChainError('INVALID_MESSAGE', `at most ${VERSION_LIMITS.evaluation} evaluation results`);
    }
    for (const e of msg.evaluation) {
      checkText('evaluation name', e.name, VERSION_LIMITS.evalName, true);
      checkText('evaluation value', e.value, VERSION_LIMITS.evalValue);
    }
    const maxPinned = await param(ctx, 'models', 'maxPinnedDatanets');
    if (BigInt(msg.datanets.length) > maxPinned) {
      throw new ChainError(
        'TOO_MANY_PINS',
        `a version pins at most ${maxPinned} Datanet versions, got ${msg.datanets.length}`,
      );
    }
    const sorted = [...msg.datanets].sort((a, b) => compareBytes(b32(a.datanet), b32(b.datanet)));
    const pins: Pin[] = [];
    for (const [i, p] of sorted.entries()) {
      if (i > 0 && sorted[i - 1]!.datanet === p.datanet) {
        throw new ChainError(
          'INVALID_MESSAGE',
          `Datanet ${p.datanet} is pinned twice; pin one version per Datanet`,
        );
      }
      const d = await ctx.keepers.datanets.datanet(ctx, p.datanet);
      if (!d) throw new ChainError('DATANET_NOT_FOUND', `Datanet ${p.datanet} does not exist`);
      const v = await ctx.keepers.datanets.version(ctx, p.datanet, p.version);
      if (!v) {
        throw new ChainError(
          'VERSION_NOT_FOUND',
          `Datanet ${p.datanet} has no version ${p.version} (1 to ${d.versionCount})`,
        );
      }
      if (!(await ctx.keepers.datanets.licence(ctx, m.id, p.datanet))) {
        throw new ChainError(
          'NO_LICENCE',
          `model ${m.id} holds no training licence for Datanet ${p.datanet}`,
          {
            metaMessages: ['Buy one first: openledger datanet licence.'],
          },
        );
      }
      pins.push({ datanet: p.datanet, version: p.version, root: v.root, rows: v.firstRow + v.rowCount });
    }
    const number = m.versionCount + 1n;
    const id = deriveId('openledger.modelVersion', fromHex(m.id), number);
    const version: ModelVersion = {
      id,
      model: m.id,
      number,
      adapterHash: msg.adapterHash,
      pins,
      trainingConfigHash: msg.trainingConfigHash,
      tokenizerHash: msg.tokenizerHash,
      chatTemplateHash: msg.chatTemplateHash,
      evaluation: msg.evaluation,
      rateInPer1k: msg.rateInPer1k,
      rateOutPer1k: msg.rateOutPer1k,
      operators: msg.operators,
      operatorShareBps: msg.operatorShareBps,
      status: 'Published',
      deployedAt: 0n,
      retireAt: 0n,
      publishedHeight: BigInt(ctx.block.height),
    };
    putModelVersion(ctx, version);
    ctx.set(keys.versionByNumber(m.id, number), b32(id));
    putModel(ctx, { ...m, versionCount: number });
    ctx.emit('models.published', {
      model: m.id,
      version: id,
      number,
      adapterHash: msg.adapterHash,
      tokenizerHash: msg.tokenizerHash,
      pins: pins.map((p) => `${p.datanet}@${p.version}`).join(','),
      rateInPer1k: msg.rateInPer1k,
      rateOutPer1k: msg.rateOutPer1k,
      operatorShareBps: msg.operatorShareBps,
    });
  },
};

/** `DeployModelVersion`: Published → Deployed, only while the model is Approved; pays the deploy fee. */
export const deployModelVersion: MessageDef<{ version: Hex }> = {
  kind: 'DeployModelVersion',
  description: 'Deploy a published version (owner only; its model must be Approved); pays the deploy fee.',
  fields: [{ name: 'version', type: 'bytes32' }],
  baseGas: 20_000n,
  async handle(ctx, msg) {
    const v = await requireModelVersion(ctx, msg.version);
    const m = await requireModel(ctx, v.model);
    if (m.owner.toLowerCase() !== msg.from.toLowerCase()) {
      throw new ChainError('UNAUTHORIZED', `only the model owner ${m.owner} may deploy its versions`);
    }
    if (m.stage !== 'Approved' || !isApprovedAt(m, ctx.block.time)) {
      throw new ChainError(
        'MODEL_NOT_APPROVED',
        `model ${m.id} is ${m.stage}; only an Approved model can deploy`,
        {
          metaMessages: ['A model is approved by a governance proposal carrying ApproveModel.'],
        },
      );
    }
    if (v.status !== 'Published') {
      throw new ChainError(
        'INVALID_STATE',
        `version ${v.id} is ${v.status}; only a Published version can deploy`,
      );
    }
    const fee = await param(ctx, 'models', 'deployFee');
    await ctx.keepers.bank.transfer(ctx, msg.from, TREASURY, fee);
    putModelVersion(ctx, { ...v, status: 'Deployed', deployedAt: ctx.block.time });
    let grantPaid = 0n;
    if (!m.deployed) {
      grantPaid = m.grantReserved;
      await ctx.keepers.bank.transfer(ctx, MODEL_GRANTS, m.owner, grantPaid);
    }
    putModel(ctx, { ...m, deployed: true, grantReserved: 0n, grantPaid: m.grantPaid + grantPaid });
    ctx.emit('models.deployed', { model: m.id, version: v.id, fee, grantPaid });
  },
};

/** `RetireModelVersion`: Deployed → Retired, effective voucherLifetime after it is sent (DESIGN §4.5). */
export const retireModelVersion: MessageDef<{ version: Hex }> = {
  kind: 'RetireModelVersion',
  description: 'Retire a deployed version; effective after the voucher lifetime (owner only).',
  fields: [{ name: 'version', type: 'bytes32' }],
  baseGas: 10_000n,
  async handle(ctx, msg) {
    const v = await requireModelVersion(ctx, msg.version);
    const m = await requireModel(ctx, v.model);
    if (m.owner.toLowerCase() !== msg.from.toLowerCase()) {
      throw new ChainError('UNAUTHORIZED', `only the model owner ${m.owner} may retire its versions`);
    }
    if (v.status !== 'Deployed') {
      throw new ChainError(
        'INVALID_STATE',
        `version ${v.id} is ${v.status}; only a Deployed version can retire`,
      );
    }
    const retireAt = ctx.block.time + (await param(ctx, 'settlement', 'voucherLifetime'));
    putModelVersion(ctx, { ...v, status: 'Retired', retireAt });
    ctx.emit('models.retired', { model: m.id, version: v.id, effectiveAt: retireAt });
  },
};
