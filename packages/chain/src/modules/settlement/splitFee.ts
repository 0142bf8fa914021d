import { ChainError } from '../../errors.js';

/** One attributed contributor of a receipt: its weight in ppm and its penalty cut in bps (0 or penaltyCutBps). */
export type FeeWeight<A extends string = string> = { address: A; ppm: bigint; cutBps: bigint };

export type SplitFeeParameters<A extends string = string> = {
  rateInPer1k: bigint;
  rateOutPer1k: bigint;
  inputTokens: bigint;
  outputTokens: bigint;
  platformFee: bigint;
  stakersBps: bigint;
  contributorsBps: bigint;
  ownerBps: bigint;
  operatorShareBps: bigint;
  feedbackShareBps: bigint;
  weights: readonly FeeWeight<A>[];
  fallbackPpm: bigint;
};

export type FeeSplit<A extends string = string> = {
  tokenCharge: bigint;
  /** What the payer pays: tokenCharge + platformFee. */
  fee: bigint;
  stakers: bigint;
  contributorsPool: bigint;
  ownerGross: bigint;
  operator: bigint;
  /** The owner's part: ownerGross − operator. */
  owner: bigint;
  /** Each listed contributor's credit, after its penalty cut; `cut` is what the cut sent to the treasury. */
  contributors: { address: A; amount: bigint; cut: bigint }[];
  /** The fallback share, credited to the pinned Datanet versions' rows. */
  fallback: bigint;
  feedbackPool: bigint;
  /** platformFee − feedbackPool + every rounding remainder and penalty cut. */
  treasury: bigint;
};

const BPS = 10_000n;
const PPM = 1_000_000n;

/**
 * The inference fee and its split, DESIGN §4.6 (*fixed* arithmetic, every step a floor):
 * tokenCharge = (in × rateIn + out × rateOut) / 1000; fee = tokenCharge + platformFee; stakers,
 * contributors and ownerGross are bps of tokenCharge; operator = ownerGross × operatorShareBps;
 * contributor i = contributors × w_i / 10^6 × (10000 − cut_i) / 10000; fallback = contributors ×
 * fallbackPpm / 10^6; feedbackPool = platformFee × feedbackShareBps; the treasury takes the rest, so
 * the credits always sum exactly to the fee. Pure: the caller checks weights against the chain.
 *
 * PERF: O(weights) bigint operations.
 */
export function splitFee<A extends string>(p: SplitFeeParameters<A>): FeeSplit<A> {
  const nonNegative: Array<[string, bigint]> = [
    ['rateInPer1k', p.rateInPer1k],
    ['rateOutPer1k', p.rateOutPer1k],
    ['inputTokens', p.inputTokens],
    ['outputTokens', p.outputTokens],
    ['platformFee', p.platformFee],
  ];
  for (const [name, v] of nonNegative) {
    if (v < 0n) throw new ChainError('INVALID_MESSAGE', `${name} must not be negative, got ${v}`);
  }
  const bpsFields: Array<[string, bigint]> = [
    ['stakersBps', p.stakersBps],
    ['contributorsBps', p.contributorsBps],
    ['ownerBps', p.ownerBps],
    ['operatorShareBps', p.operatorShareBps],
    ['feedbackShareBps', p.feedbackShareBps],
  ];
  for (const [name, v] of bpsFields) {
    if (v < 0n || v > BPS)
      throw new ChainError('INVALID_MESSAGE', `${name} must be within [0, 10000], got ${v}`);
  }
  if (p.stakersBps + p.contributorsBps + p.ownerBps > BPS) {
    throw new ChainError(
      'INVALID_MESSAGE',
      `stakersBps + contributorsBps + ownerBps = ${p.stakersBps + p.contributorsBps + p.ownerBps} exceeds 10000`,
    );
  }
  let ppmSum = p.fallbackPpm;
  if (p.fallbackPpm < 0n) throw new ChainError('INVALID_MESSAGE', 'fallbackPpm must not be negative');
  for (const w of p.weights) {
    if (w.ppm < 0n) throw new ChainError('INVALID_MESSAGE', `weight of ${w.address} must not be negative`);
    if (w.cutBps < 0n || w.cutBps > BPS)
      throw new ChainError('INVALID_MESSAGE', `cut of ${w.address} must be within [0, 10000]`);
    ppmSum += w.ppm;
  }
  if (ppmSum !== PPM) {
    throw new ChainError(
      'WEIGHTS_DO_NOT_SUM',
      `weights plus fallbackPpm sum to ${ppmSum} ppm; they must sum to exactly 1,000,000`,
    );
  }

  const tokenCharge = (p.inputTokens * p.rateInPer1k + p.outputTokens * p.rateOutPer1k) / 1000n;
  const fee = tokenCharge + p.platformFee;
  const stakers = (tokenCharge * p.stakersBps) / BPS;
  const contributorsPool = (tokenCharge * p.contributorsBps) / BPS;
  const ownerGross = (tokenCharge * p.ownerBps) / BPS;
  const operator = (ownerGross * p.operatorShareBps) / BPS;
  const owner = ownerGross - operator;
  const contributors = p.weights.map((w) => {
    const gross = (contributorsPool * w.ppm) / PPM;
    const amount = (gross * (BPS - w.cutBps)) / BPS;
    return { address: w.address, amount, cut: gross - amount };
  });
  const fallback = (contributorsPool * p.fallbackPpm) / PPM;
  const feedbackPool = (p.platformFee * p.feedbackShareBps) / BPS;
  let credited = stakers + operator + owner + fallback + feedbackPool;
  for (const c of contributors) credited += c.amount;
  const treasury = fee - credited;
  return {
    tokenCharge,
    fee,
    stakers,
    contributorsPool,
    ownerGross,
    operator,
    owner,
    contributors,
    fallback,
    feedbackPool,
    treasury,
  };
}
