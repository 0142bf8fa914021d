import { type Address, BaseError, compareBytes, fromHex, type Hex, toHex } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import { GAS } from '../../gas.js';
import type { MessageDef } from '../../module.js';
import { TREASURY } from '../bank/keeper.js';
import type { ModelVersion } from '../models/state.js';
import { addr, PPM, param } from '../shared/state.js';
import { type FeeWeight, splitFee } from './splitFee.js';
import {
  getEscrow,
  getSessionKey,
  keys,
  operatorBonds,
  putEscrow,
  receiptToValue,
  SETTLEMENT_ESCROW,
} from './state.js';
import { hashUsage, hashVoucher, type Usage, type Voucher } from './vouchers.js';

/** One receipt of a settlement batch: the voucher, the operator's usage statement and the attribution. */
export type InferenceReceipt = Voucher & {
  voucherSignature: Hex;
  promptHash: Hex;
  outputHash: Hex;
  inputTokens: bigint;
  outputTokens: bigint;
  evidenceHash: Hex;
  usageSignature: Hex;
  weights: { contributor: Address; ppm: bigint }[];
  fallbackPpm: bigint;
};

/** Receipts one SettleInference may carry. */
export const MAX_RECEIPTS_PER_BATCH = 256;

const fail = (code: string, message: string): never => {
  throw new ChainError(code, message);
};

type Params = {
  voucherLifetime: bigint;
  settlementGrace: bigint;
  stakersBps: bigint;
  contributorsBps: bigint;
  ownerBps: bigint;
  platformFee: bigint;
  feedbackShareBps: bigint;
  maxAttributed: bigint;
  maxSpans: bigint;
  minSpanTokens: bigint;
  gradientSharePpm: bigint;
};

async function loadParams(ctx: Ctx): Promise<Params> {
  const names = [
    'voucherLifetime',
    'settlementGrace',
    'stakersBps',
    'contributorsBps',
    'ownerBps',
    'platformFee',
    'feedbackShareBps',
    'maxAttributed',
    'maxSpans',
    'minSpanTokens',
    'gradientSharePpm',
  ] as const;
  const out = {} as Params;
  for (const n of names) out[n] = await param(ctx, 'settlement', n);
  return out;
}

function recover(ctx: Ctx, digest: Uint8Array, signature: Hex, what: string): Address {
  ctx.gas.consume(GAS.signature, `${what} signature`);
  try {
    return ctx.keepers.signatures.recover(digest, fromHex(signature));
  } catch (e) {
    const reason = e instanceof BaseError ? e.shortMessage : String(e);
    return fail(`INVALID_${what.toUpperCase()}_SIGNATURE`, `the ${what} signature is invalid: ${reason}`);
  }
}

/** Checks the weights' form: ≤ maxAttributed, each > 0, ordered (ppm desc, address asc), no repeats. */
function checkWeightForm(r: InferenceReceipt, maxAttributed: bigint): void {
  if (BigInt(r.weights.length) > maxAttributed) {
    fail(
      'TOO_MANY_WEIGHTS',
      `a receipt lists at most ${maxAttributed} contributors, got ${r.weights.length}`,
    );
  }
  let sum = r.fallbackPpm;
  r.weights.forEach((w, i) => {
    if (w.ppm === 0n) fail('INVALID_WEIGHTS', `contributor ${w.contributor} has weight 0; leave it out`);
    sum += w.ppm;
    const prev = r.weights[i - 1];
    if (prev) {
      const order =
        prev.ppm > w.ppm
          ? -1
          : prev.ppm < w.ppm
            ? 1
            : compareBytes(addr(prev.contributor), addr(w.contributor));
      if (order >= 0) {
        fail('INVALID_WEIGHTS', 'weights must be ordered by (ppm desc, address asc), each contributor once');
      }
    }
  });
  if (sum !== PPM) {
    fail(
      'WEIGHTS_DO_NOT_SUM',
      `weights plus fallbackPpm sum to ${sum} ppm; they must sum to exactly 1,000,000`,
    );
  }
}

/**
 * Settles one receipt (DESIGN §4.6) in its own layer: voucher (signature by payer or authorised session
 * key, operator, expiry, caps), usage statement (operator's signature), replay of (payer, requestId),
 * version Deployed at the voucher's expiry, weights against the contributor index of the pinned
 * versions, the fee recomputed with the *fixed* arithmetic and every party credited.
 * PERF: 2 signature recoveries + O(weights × pins) reads + O(pins × log versions) for the fallback.
 */
async function settleOne(ctx: Ctx, r: InferenceReceipt, operator: Address, p: Params): Promise<Hex> {
  const now = ctx.block.time;
  if (r.operator.toLowerCase() !== operator.toLowerCase()) {
    fail('WRONG_OPERATOR', `the voucher names operator ${r.operator}, but ${operator} is settling it`);
  }
  if (now > r.expiry + p.settlementGrace) {
    fail(
      'VOUCHER_EXPIRED',
      `voucher expired at ${r.expiry}; receipts settle until ${r.expiry + p.settlementGrace} (now ${now})`,
    );
  }
  if (r.expiry > now + p.voucherLifetime) {
    fail(
      'VOUCHER_TOO_LONG',
      `voucher expiry ${r.expiry} is more than voucherLifetime ${p.voucherLifetime}s ahead`,
    );
  }
  if ((await ctx.get(keys.request(r.payer, r.requestId))) !== undefined) {
    fail('REPLAYED_REQUEST', `request ${r.requestId} of ${r.payer} was already settled`);
  }
  const voucher: Voucher = {
    payer: r.payer,
    operator: r.operator,
    modelVersion: r.modelVersion,
    requestId: r.requestId,
    maxInputTokens: r.maxInputTokens,
    maxOutputTokens: r.maxOutputTokens,
    maxFee: r.maxFee,
    expiry: r.expiry,
  };
  const voucherDigest = hashVoucher(ctx.block.chainId, voucher);
  const signer = recover(ctx, voucherDigest, r.voucherSignature, 'voucher');
  let sessionCap: bigint | undefined;
  if (signer.toLowerCase() !== r.payer.toLowerCase()) {
    const key = await getSessionKey(ctx, r.payer, signer);
    if (!key)
      fail(
        'INVALID_VOUCHER_SIGNATURE',
        `the voucher is signed by ${signer}, neither the payer nor its session key`,
      );
    if (key!.revokeAt > 0n && now >= key!.revokeAt)
      fail('SESSION_KEY_REVOKED', `session key ${signer} was revoked`);
    if (r.expiry > key!.expiry)
      fail('SESSION_KEY_EXPIRED', `session key ${signer} expires at ${key!.expiry}, before the voucher`);
    sessionCap = key!.maxFeePerRequest;
  }
  const usage: Usage = {
    payer: r.payer,
    requestId: r.requestId,
    modelVersion: r.modelVersion,
    promptHash: r.promptHash,
    outputHash: r.outputHash,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    evidenceHash: r.evidenceHash,
  };
  const usageSigner = recover(ctx, hashUsage(ctx.block.chainId, usage), r.usageSignature, 'usage');
  if (usageSigner.toLowerCase() !== operator.toLowerCase()) {
    fail(
      'INVALID_USAGE_SIGNATURE',
      `the usage statement is signed by ${usageSigner}, not the operator ${operator}`,
    );
  }
  const allowed = await ctx.getValue(keys.escrowOperator(r.payer, operator));
  if (typeof allowed !== 'bigint' || (allowed > 0n && now >= allowed)) {
    fail('OPERATOR_NOT_ALLOWED', `the escrow of ${r.payer} does not allow operator ${operator}`);
  }
  const version = (await ctx.keepers.models.version(ctx, r.modelVersion)) as ModelVersion | undefined;
  if (!version) fail('MODEL_VERSION_NOT_FOUND', `model version ${r.modelVersion} does not exist`);
  const v = version!;
  const model = await ctx.keepers.models.model(ctx, v.model);
  if (!model) fail('MODEL_NOT_FOUND', `model ${v.model} does not exist`);
  if (!v.operators.some((o) => o.toLowerCase() === operator.toLowerCase())) {
    fail('OPERATOR_NOT_AUTHORISED', `operator ${operator} is not authorised for model version ${v.id}`);
  }
  if (!ctx.keepers.models.servesAt(model!, v, r.expiry)) {
    fail(
      'VERSION_NOT_DEPLOYED',
      `model version ${v.id} is not Deployed (with its model Approved) at the voucher expiry ${r.expiry}`,
    );
  }
  if (r.inputTokens > r.maxInputTokens || r.outputTokens > r.maxOutputTokens) {
    fail(
      'TOKENS_OVER_CAP',
      `usage ${r.inputTokens} in / ${r.outputTokens} out exceeds the voucher caps ${r.maxInputTokens} / ${r.maxOutputTokens}`,
    );
  }
  checkWeightForm(r, p.maxAttributed);
  const weights: FeeWeight<Address>[] = [];
  for (const w of r.weights) {
    let found = false;
    for (const pin of v.pins) {
      if (await ctx.keepers.datanets.hasAcceptedRows(ctx, pin.datanet, w.contributor, pin.version)) {
        found = true;
        break;
      }
    }
    if (!found) {
      fail(
        'NO_ACCEPTED_ROWS',
        `contributor ${w.contributor} has no accepted rows in the versions model version ${v.id} pins`,
      );
    }
    weights.push({
      address: w.contributor,
      ppm: w.ppm,
      cutBps: await ctx.keepers.datanets.penaltyCutBps(ctx, w.contributor),
    });
  }
  const split = splitFee({
    rateInPer1k: v.rateInPer1k,
    rateOutPer1k: v.rateOutPer1k,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    platformFee: p.platformFee,
    stakersBps: p.stakersBps,
    contributorsBps: p.contributorsBps,
    ownerBps: p.ownerBps,
    operatorShareBps: v.operatorShareBps,
    feedbackShareBps: p.feedbackShareBps,
    weights,
    fallbackPpm: r.fallbackPpm,
  });
  if (split.fee > r.maxFee) fail('FEE_OVER_MAX', `fee ${split.fee} exceeds the voucher's maxFee ${r.maxFee}`);
  if (sessionCap !== undefined && split.fee > sessionCap) {
    fail('FEE_OVER_SESSION_CAP', `fee ${split.fee} exceeds the session key's per-request cap ${sessionCap}`);
  }
  const escrow = await getEscrow(ctx, r.payer);
  if (escrow.balance < split.fee) {
    fail('ESCROW_INSUFFICIENT', `escrow of ${r.payer} holds ${escrow.balance}, the fee is ${split.fee}`);
  }
  putEscrow(ctx, r.payer, { ...escrow, balance: escrow.balance - split.fee });

  // credit every party; the escrow account pays
  const from = SETTLEMENT_ESCROW;
  const rewards = ctx.keepers.settlement;
  await ctx.keepers.distribution.depositStakersReward(ctx, from, split.stakers);
  for (const c of split.contributors)
    await rewards.creditClaimable(ctx, from, c.address, c.amount, 'contributor');
  await rewards.creditClaimable(ctx, from, model!.owner, split.owner, 'owner');
  await rewards.creditClaimable(ctx, from, operator, split.operator, 'operator');
  let treasury = split.treasury;
  if (split.fallback > 0n) {
    let totalRows = 0n;
    for (const pin of v.pins) totalRows += pin.rows;
    if (totalRows === 0n) {
      treasury += split.fallback;
    } else {
      let shared = 0n;
      for (const pin of v.pins) {
        const share = (split.fallback * pin.rows) / totalRows;
        shared += share;
        await ctx.keepers.datanets.creditVersion(ctx, pin.datanet, pin.version, share, from);
      }
      treasury += split.fallback - shared;
    }
  }
  await ctx.keepers.feedback.addToPool(ctx, from, split.feedbackPool);
  await ctx.keepers.bank.transfer(ctx, from, TREASURY, treasury);

  // replay protection until the voucher can no longer settle, then pruned
  const pruneAt = r.expiry + p.settlementGrace + 1n;
  ctx.setValue(keys.request(r.payer, r.requestId), r.expiry);
  ctx.setValue(keys.pruneQueue(pruneAt, r.payer, r.requestId), true);
  const id = toHex(voucherDigest);
  ctx.setValue(
    keys.receipt(id),
    receiptToValue({
      id,
      payer: r.payer,
      requestId: r.requestId,
      operator,
      modelVersion: v.id,
      model: model!.id,
      owner: model!.owner,
      expiry: r.expiry,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      promptHash: r.promptHash,
      outputHash: r.outputHash,
      evidenceHash: r.evidenceHash,
      fee: split.fee,
      contributorsPool: split.contributorsPool,
      weights: r.weights,
      fallbackPpm: r.fallbackPpm,
      params: {
        minSpanTokens: p.minSpanTokens,
        maxSpans: p.maxSpans,
        maxAttributed: p.maxAttributed,
        gradientSharePpm: p.gradientSharePpm,
      },
      settledHeight: BigInt(ctx.block.height),
      settledTime: now,
    }),
  );
  ctx.emit('settlement.settled', {
    receipt: id,
    payer: r.payer,
    requestId: r.requestId,
    operator,
    modelVersion: v.id,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    fee: split.fee,
    stakers: split.stakers,
    contributors: split.contributorsPool,
    owner: split.owner,
    operatorShare: split.operator,
    fallback: split.fallback,
    feedback: split.feedbackPool,
    treasury,
    evidenceHash: r.evidenceHash,
  });
  return id;
}

const RECEIPT_STRUCT = [
  { name: 'payer', type: 'address' },
  { name: 'operator', type: 'address' },
  { name: 'modelVersion', type: 'bytes32' },
  { name: 'requestId', type: 'bytes32' },
  { name: 'maxInputTokens', type: 'uint256' },
  { name: 'maxOutputTokens', type: 'uint256' },
  { name: 'maxFee', type: 'uint256' },
  { name: 'expiry', type: 'uint256' },
  { name: 'voucherSignature', type: 'bytes' },
  { name: 'promptHash', type: 'bytes32' },
  { name: 'outputHash', type: 'bytes32' },
  { name: 'inputTokens', type: 'uint256' },
  { name: 'outputTokens', type: 'uint256' },
  { name: 'evidenceHash', type: 'bytes32' },
  { name: 'usageSignature', type: 'bytes' },
  { name: 'weights', type: 'AttributedWeight[]' },
  { name: 'fallbackPpm', type: 'uint256' },
] as const;

/**
 * `SettleInference` (DESIGN §4.6): an authorised, bonded operator settles a batch of receipts. Each
 * receipt settles on its own, in its own layer, and gets its own result (`settlement.receipt` event with
 * a code); a bad receipt changes nothing, the batch pays its gas as a whole. An operator whose bond is
 * unbonding or below minOperatorBond may not settle at all.
 */
export const settleInference: MessageDef<{ receipts: InferenceReceipt[] }> = {
  kind: 'SettleInference',
  description: 'Settle a batch of inference receipts (bonded operators); each receipt gets its own result.',
  fields: [{ name: 'receipts', type: 'InferenceReceipt[]' }],
  structs: {
    InferenceReceipt: RECEIPT_STRUCT,
    AttributedWeight: [
      { name: 'contributor', type: 'address' },
      { name: 'ppm', type: 'uint256' },
    ],
  },
  baseGas: 10_000n,
  async handle(ctx, msg) {
    if (msg.receipts.length === 0 || msg.receipts.length > MAX_RECEIPTS_PER_BATCH) {
      throw new ChainError(
        'INVALID_MESSAGE',
        `a batch holds 1 to ${MAX_RECEIPTS_PER_BATCH} receipts, got ${msg.receipts.length}`,
      );
    }
    const bond = await operatorBonds.get(ctx, msg.from);
    const minBond = await param(ctx, 'settlement', 'minOperatorBond');
    if (bond.unbonding > 0n) {
      throw new ChainError(
        'OPERATOR_UNBONDING',
        `operator ${msg.from} is unbonding and may not settle until it completes`,
      );
    }
    if (bond.bonded < minBond || bond.bonded === 0n) {
      throw new ChainError(
        'OPERATOR_NOT_BONDED',
        `operator ${msg.from} has ${bond.bonded} bonded; settling needs ${minBond}`,
        {
          metaMessages: ['Bond with: openledger operator bond <amount>.'],
        },
      );
    }
    const p = await loadParams(ctx);
    let settled = 0;
    for (const [index, receipt] of msg.receipts.entries()) {
      const layer = ctx.child();
      try {
        const id = await settleOne(layer, receipt, msg.from, p);
        layer.commit();
        settled++;
        ctx.emit('settlement.receipt', {
          index,
          receipt: id,
          payer: receipt.payer,
          requestId: receipt.requestId,
          status: 'ok',
        });
      } catch (e) {
        if (!(e instanceof BaseError) || e.code === 'OUT_OF_GAS' || e.code === 'INTERNAL_ERROR') throw e;
        ctx.emit('settlement.receipt', {
          index,
          payer: receipt.payer,
          requestId: receipt.requestId,
          status: 'failed',
          code: e.code,
          error: e.shortMessage,
        });
      }
    }
    ctx.emit('settlement.batch', { operator: msg.from, receipts: msg.receipts.length, settled });
  },
};

/** Prunes replay entries whose vouchers can no longer settle (end block). PERF: O(entries due). */
export async function pruneRequests(ctx: Ctx, limit = 10_000): Promise<number> {
  const due: Uint8Array[] = [];
  for await (const [k] of ctx.state.iterate(keys.pruneQueuePrefix)) {
    // key: settlement/rqx/<8-byte time>/<20-byte payer>/<32-byte request>
    const at = new DataView(k.buffer, k.byteOffset + k.length - 62, 8).getBigUint64(0);
    if (at > ctx.block.time || due.length >= limit) break;
    due.push(k);
  }
  for (const k of due) {
    const payer = toHex(k.subarray(k.length - 53, k.length - 33));
    const requestId = toHex(k.subarray(k.length - 32));
    ctx.delete(k);
    ctx.delete(keys.request(payer as Address, requestId));
  }
  return due.length;
}
