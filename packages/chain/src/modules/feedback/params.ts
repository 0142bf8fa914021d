import type { ParamDef } from '../../module.js';

const OPEN = 10n ** 18n;

/** Parameters of the feedback module (DESIGN §4 table, §4.8). */
export const FEEDBACK_PARAMS: readonly ParamDef[] = [
  {
    name: 'feedbackEpoch',
    description: 'length of a feedback reward epoch',
    default: 86_400n,
    min: 1n,
    max: 31_536_000n,
    unit: 'seconds',
  },
  {
    name: 'ratingWindow',
    description: 'seconds after settlement during which an output may be rated (capped by feedbackEpoch)',
    default: 86_400n,
    min: 1n,
    max: 31_536_000n,
    unit: 'seconds',
  },
  {
    name: 'maxRatersPerOutput',
    description: 'ratings one output may receive',
    default: 32n,
    min: 3n,
    max: 1_024n,
    unit: 'count',
  },
  {
    name: 'maxRaterShareBps',
    description: 'most of an epoch pool one rater may earn',
    default: 1_000n,
    min: 1n,
    max: 10_000n,
    unit: 'bps',
  },
  {
    name: 'minFeedbackBond',
    description: 'bond a feedback validator needs to rate (DESIGN is silent; keeps dust raters out)',
    default: OPEN,
    min: 1n,
    max: 10n ** 9n * OPEN,
    unit: 'OPEN',
  },
];

/** Devnet values (DESIGN §4 table, devnet column) as genesis overrides `"feedback.<name>"`. */
export function feedbackDevnetParams(): Record<string, bigint> {
  return {
    'feedback.feedbackEpoch': 60n,
    'feedback.ratingWindow': 30n,
    'feedback.maxRatersPerOutput': 32n,
    'feedback.maxRaterShareBps': 1_000n,
    'feedback.minFeedbackBond': OPEN,
  };
}
