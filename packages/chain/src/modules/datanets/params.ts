import type { ParamDef } from '../../module.js';

/** Parameters of the datanets module (DESIGN §4 table, §4.4, §4.8). */
export const DATANETS_PARAMS: readonly ParamDef[] = [
  {
    name: 'contributionByteGas',
    description: 'gas a contribution pays per byte of its blob (submissions pay per byte, DESIGN §4.4)',
    default: 16n,
    min: 0n,
    max: 100_000n,
    unit: 'gas',
  },
  {
    name: 'bondReleaseDelay',
    description:
      'seconds after approval before a contributor bond can be withdrawn (it stays slashable until then)',
    default: 604_800n,
    min: 0n,
    max: 31_536_000n,
    unit: 'seconds',
  },
  {
    name: 'penaltyThreshold',
    description: 'penalty score above which a contributor’s attribution rewards are cut (DESIGN §4.8)',
    default: 3n,
    min: 0n,
    max: 1_000_000n,
    unit: 'count',
  },
  {
    name: 'penaltyCutBps',
    description: 'share of a penalised contributor’s rewards sent to the treasury',
    default: 5_000n,
    min: 0n,
    max: 10_000n,
    unit: 'bps',
  },
];

/** Devnet values (DESIGN §4 table, devnet column) as genesis overrides `"datanets.<name>"`. */
export function datanetsDevnetParams(): Record<string, bigint> {
  return {
    'datanets.contributionByteGas': 16n,
    'datanets.bondReleaseDelay': 300n,
    'datanets.penaltyThreshold': 3n,
    'datanets.penaltyCutBps': 5_000n,
  };
}
