import {
  type ChallengeClaim,
  checkChallenge,
  decodeEvidence,
  type Evidence,
  type Hex as RulesHex,
  type SpanParams,
  type Weights,
} from '@openledger/attribution/rules';
import { type Address, fromHex, type Hex, sha256, toHex, utf8 } from '@openledger/core';
import { Tokenizer } from '@openledger/tokenizer';
import type { App } from '../../app.js';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { MessageDef, Module } from '../../module.js';
import type { ReceiptRecord } from '../settlement/state.js';
import { argBigint, argHex32, argLimit } from '../shared/args.js';
import { queryCtx } from '../shared/external.js';
import { BPS, minBig, PPM, param } from '../shared/state.js';
import { type ChallengeFields, CITED_ROW_STRUCT, claimFromFields, correctedWeights } from './claims.js';
import { CHALLENGES, getChallenge, keys, recordChallenge } from './state.js';

export {
  type ChallengeFields,
  type CitedRowFields,
  claimFromFields,
  correctedWeights,
  fieldsFromClaim,
} from './claims.js';
export { CHALLENGES, type ChallengeRecord } from './state.js';

/** Gas of the work a challenge makes the chain do, on top of the transaction bytes (DESIGN §3 Gas). */
export const CHALLENGE_GAS = {
  /** Per evidence byte decoded. */
  evidenceByte: 4n,
  /** Per output token scored (count table, prefix sums, greedy selection). */
  outputToken: 200n,
  /** Per cited row byte tokenised and hashed. */
  rowByte: 100n,
  /** Per byte of prompt and output recounted by a token-count challenge. */
  revealedByte: 50n,
} as const;

/** Longest reason kept in state and events. */
const MAX_REASON = 512;
/** Approval height given to a version the chain does not know (ranks after every real row). */
const UNKNOWN_HEIGHT = 1n << 62n;

/** Tokenizers by hash (content-addressed, so a cache never changes an answer). */
const tokenizers = new Map<string, Tokenizer>();

async function pinnedTokenizer(ctx: Ctx, hash: Hex): Promise<Tokenizer> {
  const key = hash.toLowerCase();
  let t = tokenizers.get(key);
  if (t === undefined) {
    const file = await ctx.keepers.models.tokenizerFile(ctx, hash);
    if (file === undefined)
      throw new ChainError('TOKENIZER_NOT_REGISTERED', `tokenizer ${hash} is not registered on chain`);
    t = Tokenizer.fromFile(file, { expectedHash: key.slice(2) });
    if (tokenizers.size > 16) tokenizers.clear();
    tokenizers.set(key, t);
  } else {
    await ctx.keepers.models.tokenizerFile(ctx, hash); // metered read, as without the cache
  }
  return t;
}

type Verdict = { proven: boolean; reason: string; corrected?: Weights };

type Loaded = { receipt: ReceiptRecord; window: bigint; bond: bigint };

/** Checks common to both challenges; a failure fails the transaction (gas paid, nothing else changes). */
async function loadReceipt(ctx: Ctx, id: Hex): Promise<Loaded> {
  const receipt = await ctx.keepers.settlement.receipt(ctx, id);
  if (!receipt) {
    throw new ChainError('RECEIPT_NOT_FOUND', `no settled receipt ${id}`, {
      metaMessages: ['A receipt id is its voucher digest; see the settlement.settled event.'],
    });
  }
  const window = await param(ctx, 'settlement', 'challengeWindow');
  if (ctx.block.time > receipt.settledTime + window) {
    throw new ChainError(
      'CHALLENGE_WINDOW_CLOSED',
      `receipt ${id} settled at ${receipt.settledTime}; challenges closed at ${receipt.settledTime + window} (now ${ctx.block.time})`,
    );
  }
  if ((await ctx.get(keys.proven(id))) !== undefined) {
    throw new ChainError('ALREADY_PROVEN', `receipt ${id} was already proven false and its operator slashed`);
  }
  return { receipt, window, bond: await param(ctx, 'settlement', 'challengerBond') };
}

/**
 * Checks an attribution challenge (DESIGN §4.7): the evidence against the receipt's hash and the
 * chain's own record of the model version (pins, roots, tokenizer), then the claim with the rules'
 * `checkChallenge`, tokenising the cited row with the pinned tokenizer registered on chain.
 */
async function judgeAttribution(ctx: Ctx, r: ReceiptRecord, m: ChallengeFields): Promise<Verdict> {
  const bytes = fromHex(m.evidence);
  ctx.gas.consume(BigInt(bytes.length) * CHALLENGE_GAS.evidenceByte, 'challenge evidence');
  if (toHex(sha256(bytes)) !== r.evidenceHash.toLowerCase()) {
    return {
      proven: false,
      reason: `the evidence does not hash to the receipt's evidence hash ${r.evidenceHash}`,
    };
  }
  const version = await ctx.keepers.models.version(ctx, r.modelVersion);
  if (!version) throw new ChainError('MODEL_VERSION_NOT_FOUND', `model version ${r.modelVersion} is gone`);
  const params: SpanParams = {
    minSpanTokens: Number(r.params.minSpanTokens),
    maxSpans: Number(r.params.maxSpans),
    maxAttributed: Number(r.params.maxAttributed),
  };
  const g = Number(r.params.gradientSharePpm);
  const allFallback: Weights = { weights: [], fallbackPpm: Number(PPM) };
  let e: Evidence;
  try {
    e = decodeEvidence(bytes);
  } catch (err) {
    // the operator committed (by its signature) to bytes that are no evidence: a false receipt
    return {
      proven: true,
      reason: `the receipt's evidence does not decode: ${(err as Error).message}`,
      corrected: allFallback,
    };
  }
  ctx.gas.consume(BigInt(e.outputTokenIds.length) * CHALLENGE_GAS.outputToken, 'challenge scoring');
  // the evidence must describe this receipt: its model version, tokenizer and pinned roots
  const mismatch =
    e.modelVersion !== r.modelVersion.toLowerCase()
      ? `the evidence names model version ${e.modelVersion}, the receipt ${r.modelVersion}`
      : e.tokenizerHash !== version.tokenizerHash.toLowerCase()
        ? `the evidence's tokenizer ${e.tokenizerHash} is not the version's ${version.tokenizerHash}`
        : e.datanetVersions.length !== version.pins.length ||
            e.datanetVersions.some(
              (d, i) =>
                d.id !== version.pins[i]!.datanet.toLowerCase() ||
                d.version !== version.pins[i]!.version ||
                d.root !== version.pins[i]!.root.toLowerCase(),
            )
          ? "the evidence's pinned Datanet versions or roots differ from the model version's"
          : undefined;
  if (mismatch) return { proven: true, reason: mismatch, corrected: allFallback };
  let claim: ChallengeClaim;
  try {
    claim = claimFromFields(m);
  } catch (err) {
    return { proven: false, reason: `malformed proof: ${(err as Error).message}` };
  }
  for (const row of m.rows)
    ctx.gas.consume(BigInt(fromHex(row.row).length) * CHALLENGE_GAS.rowByte, 'cited row');
  // approval heights of every version the evidence or the cited row names (within the pins)
  const heights = new Map<string, bigint>();
  const pinned = new Map(e.datanetVersions.map((d) => [d.id, d.version]));
  const wanted: [RulesHex, bigint][] = [
    ...e.spans.map((s) => [s.datanet, s.rowProof.contributionVersion] as [RulesHex, bigint]),
    ...('row' in claim
      ? [[claim.row.datanet, claim.row.proof.contributionVersion] as [RulesHex, bigint]]
      : []),
  ];
  for (const [d, v] of wanted) {
    const key = `${d}/${v}`;
    const pin = pinned.get(d);
    if (heights.has(key) || pin === undefined || v < 1n || v > pin) continue;
    const rec = await ctx.keepers.datanets.version(ctx, d as Hex, v);
    if (rec) heights.set(key, rec.approvalHeight);
  }
  const approvalHeight = (d: RulesHex, v: bigint) => heights.get(`${d}/${v}`) ?? UNKNOWN_HEIGHT;
  const tokenizer = await pinnedTokenizer(ctx, version.tokenizerHash);
  let result: ReturnType<typeof checkChallenge>;
  try {
    result = checkChallenge(claim, {
      evidence: e,
      receipt: {
        weights: r.weights.map((w) => [w.contributor.toLowerCase() as RulesHex, Number(w.ppm)] as const),
        fallbackPpm: Number(r.fallbackPpm),
      },
      params,
      gradientSharePpm: g,
      tokenize: (text) => tokenizer.encode(text),
      approvalHeight,
    });
  } catch (err) {
    return { proven: false, reason: `malformed proof: ${(err as Error).message}` };
  }
  if (!result.proven) return { proven: false, reason: result.reason };
  let corrected: Weights;
  try {
    corrected = correctedWeights(claim, e, params, g, approvalHeight);
  } catch {
    corrected = allFallback; // a malformed evidence proves the claim but gives nothing to recompute from
  }
  return { proven: true, reason: result.reason, corrected };
}

/**
 * Pays out a proven challenge (DESIGN §4.2): slashes operatorSlashBps of the operator's bond; from the
 * slash, first `recredit` (the receipt's contributors by the corrected weights, or the payer's refund)
 * as far as it reaches; then the challenger gets challengeRewardBps of the rest and its bond back; the
 * remainder waits in the slashed holding and burns after the appeal window.
 */
async function payProven(
  ctx: Ctx,
  r: ReceiptRecord,
  challenger: Address,
  bond: bigint,
  reason: string,
  recredit: (available: bigint) => Promise<bigint>,
): Promise<{ slashed: bigint; recredited: bigint; reward: bigint; held: bigint }> {
  const operatorBond = await ctx.keepers.settlement.operatorBond(ctx, r.operator);
  const slashBps = await param(ctx, 'settlement', 'operatorSlashBps');
  const amount = ((operatorBond.bonded + operatorBond.unbonding) * slashBps) / BPS;
  const slashed = await ctx.keepers.settlement.takeOperatorBond(ctx, r.operator, amount, CHALLENGES);
  const recredited = await recredit(slashed);
  const rest = slashed - recredited;
  const reward = (rest * (await param(ctx, 'settlement', 'challengeRewardBps'))) / BPS;
  await ctx.keepers.bank.transfer(ctx, CHALLENGES, challenger, reward + bond);
  const held = rest - reward;
  await ctx.keepers.slashing.hold(ctx, {
    from: CHALLENGES,
    amount: held,
    module: 'challenges',
    subject: r.operator,
    reason: `receipt ${r.id} proven false: ${reason}`.slice(0, MAX_REASON),
  });
  return { slashed, recredited, reward, held };
}

/** Re-credits the receipt's contributors' pool by the corrected weights, from `available`. */
async function recreditPool(ctx: Ctx, r: ReceiptRecord, w: Weights, available: bigint): Promise<bigint> {
  const pool = r.contributorsPool;
  let left = available;
  const version = await ctx.keepers.models.version(ctx, r.modelVersion);
  const pins = version?.pins ?? [];
  for (const [contributor, ppm] of w.weights) {
    if (left === 0n) break;
    let accepted = false;
    for (const pin of pins) {
      if (await ctx.keepers.datanets.hasAcceptedRows(ctx, pin.datanet, contributor as Address, pin.version)) {
        accepted = true;
        break;
      }
    }
    if (!accepted) continue; // only contributors with rows in the pinned versions are paid
    const cut = await ctx.keepers.datanets.penaltyCutBps(ctx, contributor as Address);
    const due = (((pool * BigInt(ppm)) / PPM) * (BPS - cut)) / BPS;
    const pay = minBig(due, left);
    await ctx.keepers.settlement.creditClaimable(
      ctx,
      CHALLENGES,
      contributor as Address,
      pay,
      'challenge re-credit',
    );
    left -= pay;
  }
  const fallback = minBig((pool * BigInt(w.fallbackPpm)) / PPM, left);
  let totalRows = 0n;
  for (const pin of pins) totalRows += pin.rows;
  if (fallback > 0n && totalRows > 0n) {
    for (const pin of pins) {
      const share = (fallback * pin.rows) / totalRows;
      if (share === 0n) continue;
      await ctx.keepers.datanets.creditVersion(ctx, pin.datanet, pin.version, share, CHALLENGES);
      left -= share;
    }
  }
  return available - left;
}

const challengeReceipt: MessageDef<ChallengeFields> = {
  kind: 'ChallengeReceipt',
  description:
    "Challenge a settled receipt's attribution with a bounded fraud proof (a)–(e), posting challengerBond.",
  fields: [
    { name: 'receipt', type: 'bytes32' },
    { name: 'evidence', type: 'bytes' },
    { name: 'condition', type: 'string' },
    { name: 'span', type: 'uint256' },
    { name: 'outputOffset', type: 'uint256' },
    { name: 'length', type: 'uint256' },
    { name: 'rowOffset', type: 'uint256' },
    { name: 'rows', type: 'CitedRow[]' },
  ],
  structs: { CitedRow: CITED_ROW_STRUCT },
  baseGas: 100_000n,
  async handle(ctx, msg) {
    const { receipt: r, bond } = await loadReceipt(ctx, msg.receipt);
    await ctx.keepers.bank.transfer(ctx, msg.from, CHALLENGES, bond);
    const verdict = await judgeAttribution(ctx, r, msg);
    await settle(ctx, r, msg.from, bond, msg.condition.slice(0, 8), verdict, (available) =>
      recreditPool(ctx, r, verdict.corrected!, available),
    );
  },
};

const challengeTokenCount: MessageDef<{ receipt: Hex; prompt: string; output: string }> = {
  kind: 'ChallengeTokenCount',
  description:
    "The payer's token-count challenge: reveal the templated prompt and the output for a recount with the pinned tokenizer.",
  fields: [
    { name: 'receipt', type: 'bytes32' },
    { name: 'prompt', type: 'string' },
    { name: 'output', type: 'string' },
  ],
  baseGas: 50_000n,
  async handle(ctx, msg) {
    const { receipt: r, bond } = await loadReceipt(ctx, msg.receipt);
    if (msg.from.toLowerCase() !== r.payer.toLowerCase()) {
      throw new ChainError(
        'NOT_PAYER',
        `only the payer ${r.payer} may challenge the token counts of ${r.id}`,
      );
    }
    await ctx.keepers.bank.transfer(ctx, msg.from, CHALLENGES, bond);
    const prompt = utf8(msg.prompt);
    const output = utf8(msg.output);
    ctx.gas.consume(BigInt(prompt.length + output.length) * CHALLENGE_GAS.revealedByte, 'token recount');
    const version = await ctx.keepers.models.version(ctx, r.modelVersion);
    if (!version) throw new ChainError('MODEL_VERSION_NOT_FOUND', `model version ${r.modelVersion} is gone`);
    let verdict: Verdict;
    let refund = 0n;
    if (
      toHex(sha256(prompt)) !== r.promptHash.toLowerCase() ||
      toHex(sha256(output)) !== r.outputHash.toLowerCase()
    ) {
      verdict = { proven: false, reason: "the revealed prompt or output does not hash to the receipt's" };
    } else {
      const tokenizer = await pinnedTokenizer(ctx, version.tokenizerHash);
      // special tokens the chat template inserts count as the tokenizer's canonical file defines them
      const inputTokens = BigInt(tokenizer.encode(msg.prompt, { allowSpecial: true }).length);
      const outputTokens = BigInt(tokenizer.encode(msg.output).length);
      if (inputTokens === r.inputTokens && outputTokens === r.outputTokens) {
        verdict = { proven: false, reason: `the counts are right: ${inputTokens} in, ${outputTokens} out` };
      } else {
        const charge = (i: bigint, o: bigint) => (i * version.rateInPer1k + o * version.rateOutPer1k) / 1000n;
        const over = charge(r.inputTokens, r.outputTokens) - charge(inputTokens, outputTokens);
        refund = over > 0n ? over : 0n;
        verdict = {
          proven: true,
          reason: `recounted ${inputTokens} in / ${outputTokens} out, the receipt says ${r.inputTokens} / ${r.outputTokens}`,
        };
      }
    }
    await settle(ctx, r, msg.from, bond, 'tokens', verdict, async (available) => {
      const pay = minBig(refund, available);
      await ctx.keepers.settlement.creditClaimable(ctx, CHALLENGES, r.payer, pay, 'overcharge refund');
      return pay;
    });
  },
};

/** Records the outcome: proven → payout; failed → the bond burns (the transaction itself succeeds). */
async function settle(
  ctx: Ctx,
  r: ReceiptRecord,
  challenger: Address,
  bond: bigint,
  kind: string,
  verdict: Verdict,
  recredit: (available: bigint) => Promise<bigint>,
): Promise<void> {
  const reason = verdict.reason.slice(0, MAX_REASON);
  if (!verdict.proven) {
    await ctx.keepers.bank.burn(ctx, CHALLENGES, bond, `failed challenge of receipt ${r.id}`);
    const id = await recordChallenge(ctx, {
      receipt: r.id,
      challenger,
      kind,
      proven: false,
      reason,
      bond,
      slashed: 0n,
      recredited: 0n,
      reward: 0n,
      held: 0n,
    });
    ctx.emit('challenges.failed', { id, receipt: r.id, challenger, condition: kind, burned: bond, reason });
    return;
  }
  const paid = await payProven(ctx, r, challenger, bond, reason, recredit);
  const id = await recordChallenge(ctx, {
    receipt: r.id,
    challenger,
    kind,
    proven: true,
    reason,
    bond,
    ...paid,
  });
  ctx.emit('challenges.proven', {
    id,
    receipt: r.id,
    challenger,
    operator: r.operator,
    condition: kind,
    slashed: paid.slashed,
    recredited: paid.recredited,
    reward: paid.reward,
    held: paid.held,
    reason,
  });
}

/**
 * The challenges module (DESIGN §4.2, §4.7; issue 6 item 3): `ChallengeReceipt` (bounded fraud proofs
 * (a)–(e) against a settled receipt's evidence) and `ChallengeTokenCount` (the payer's recount). It reads
 * receipts, bonds and parameters through the settlement keeper, versions through models and Datanets.
 */
export function challengesModule(app: App): Module {
  return {
    name: 'challenges',
    messages: [challengeReceipt, challengeTokenCount],
    queries: {
      /** One challenge by id. */
      async challenge(q, args) {
        return (await getChallenge(queryCtx(app, q), argBigint(args, 'id'))) ?? null;
      },
      /** The challenges of a receipt, oldest first. */
      async byReceipt(q, args) {
        const ctx = queryCtx(app, q);
        const receipt = argHex32(args, 'receipt');
        const out = [];
        for await (const [key] of ctx.state.iterate(keys.byReceiptPrefix(receipt), {
          limit: argLimit(args),
        })) {
          const id = new DataView(key.buffer, key.byteOffset + key.length - 8, 8).getBigUint64(0);
          const c = await getChallenge(ctx, id);
          if (c) out.push(c);
        }
        return out;
      },
    },
    invariants: {
      /** Bonds and slashes pass through the module account within one transaction. */
      async empty(ctx) {
        const balance = await ctx.keepers.bank.balance(ctx, CHALLENGES);
        return balance === 0n ? undefined : `${CHALLENGES} holds ${balance} between transactions`;
      },
    },
  };
}
