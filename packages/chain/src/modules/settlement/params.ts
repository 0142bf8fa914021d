import type { ParamDef } from '../../module.js';

const OPEN = 10n ** 18n;
const DAY = 86_400n;

const bps = (name: string, description: string, value: bigint): ParamDef => ({
  name,
  description,
  default: value,
  min: 0n,
  max: 10_000n,
  unit: 'bps',
});

/** Parameters of the settlement module (DESIGN §4 table, §4.2, §4.6, §4.7). */
export const SETTLEMENT_PARAMS: readonly ParamDef[] = [
  {
    name: 'voucherLifetime',
    description:
      'longest a voucher may be valid; retirements, withdrawals and revocations wait this long too',
    default: 3_600n,
    min: 1n,
    max: 30n * DAY,
    unit: 'seconds',
  },
  {
    name: 'settlementGrace',
    description: 'a receipt settles while block time ≤ voucher expiry + this',
    default: 3_600n,
    min: 0n,
    max: 30n * DAY,
    unit: 'seconds',
  },
  {
    name: 'minOperatorBond',
    description: 'an operator with less bonded may not settle',
    default: 10_000n * OPEN,
    min: 0n,
    max: 10n ** 9n * OPEN,
    unit: 'OPEN',
  },
  {
    name: 'challengeWindow',
    description: 'seconds after settlement during which a receipt may be challenged',
    default: 7n * DAY,
    min: 1n,
    max: 365n * DAY,
    unit: 'seconds',
  },
  {
    name: 'unbondMargin',
    description: 'operator and feedback bonds unbond over challengeWindow + this',
    default: DAY,
    min: 0n,
    max: 365n * DAY,
    unit: 'seconds',
  },
  {
    name: 'challengerBond',
    description: 'bond a challenger posts (burned if the proof fails)',
    default: 100n * OPEN,
    min: 0n,
    max: 10n ** 9n * OPEN,
    unit: 'OPEN',
  },
  bps('operatorSlashBps', 'share of the operator bond a proven challenge slashes', 1_000n),
  bps('challengeRewardBps', 'share of the slash (after re-crediting) paid to the challenger', 5_000n),
  bps('stakersBps', 'share of the token charge paid to stakers (fee distribution)', 1_000n),
  bps('contributorsBps', 'share of the token charge paid to attributed contributors', 2_000n),
  bps('ownerBps', 'share of the token charge paid to the model owner (operator share taken from it)', 7_000n),
  {
    name: 'platformFee',
    description: 'flat fee per request, to the treasury less the feedback pool',
    default: OPEN / 2n,
    min: 0n,
    max: 10n ** 6n * OPEN,
    unit: 'OPEN',
  },
  bps('feedbackShareBps', 'share of the platform fee that goes to the epoch feedback pool', 1_000n),
  {
    name: 'maxAttributed',
    description: 'contributor weights a receipt may list',
    default: 16n,
    min: 1n,
    max: 256n,
    unit: 'count',
  },
  {
    name: 'maxSpans',
    description: 'spans kept by the attribution rule',
    default: 32n,
    min: 1n,
    max: 1_024n,
    unit: 'count',
  },
  {
    name: 'minSpanTokens',
    description: 'shortest attributed span, in tokens',
    default: 8n,
    min: 1n,
    max: 1_024n,
    unit: 'count',
  },
  {
    name: 'gradientSharePpm',
    description: 'weight of the gradient-influence signal in attribution',
    default: 0n,
    min: 0n,
    max: 1_000_000n,
    unit: 'ppm',
  },
];

/** Devnet values (DESIGN §4 table, devnet column) as genesis overrides `"settlement.<name>"`. */
export function settlementDevnetParams(): Record<string, bigint> {
  return {
    'settlement.voucherLifetime': 300n,
    'settlement.settlementGrace': 60n,
    'settlement.minOperatorBond': 1_000n * OPEN,
    'settlement.challengeWindow': 120n,
    'settlement.unbondMargin': 60n,
    'settlement.challengerBond': 100n * OPEN,
    'settlement.operatorSlashBps': 1_000n,
    'settlement.challengeRewardBps': 5_000n,
    'settlement.stakersBps': 1_000n,
    'settlement.contributorsBps': 2_000n,
    'settlement.ownerBps': 7_000n,
    'settlement.platformFee': OPEN / 2n,
    'settlement.feedbackShareBps': 1_000n,
    'settlement.maxAttributed': 16n,
    'settlement.maxSpans': 32n,
    'settlement.minSpanTokens': 8n,
    'settlement.gradientSharePpm': 0n,
  };
}
