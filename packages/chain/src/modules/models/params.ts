import type { ParamDef } from '../../module.js';

const OPEN = 10n ** 18n;

/** Parameters of the models module (DESIGN §4 table, §4.5, §4.7). */
export const MODELS_PARAMS: readonly ParamDef[] = [
  {
    name: 'deployFee',
    description: 'paid to the treasury when a model version is deployed',
    default: 100n * OPEN,
    min: 0n,
    max: 1_000_000n * OPEN,
    unit: 'OPEN',
  },
  {
    name: 'minRatePer1k',
    description: 'lowest rate (OPEN per 1,000 input or output tokens) a model version may set',
    default: 0n,
    min: 0n,
    max: 1_000_000n * OPEN,
    unit: 'OPEN',
  },
  {
    name: 'maxRatePer1k',
    description: 'highest rate (OPEN per 1,000 input or output tokens) a model version may set',
    default: 1_000n * OPEN,
    min: 0n,
    max: 1_000_000n * OPEN,
    unit: 'OPEN',
  },
  {
    name: 'maxPinnedDatanets',
    description: 'Datanet versions a model version may pin',
    default: 8n,
    min: 1n,
    max: 64n,
    unit: 'count',
  },
  {
    name: 'tokenizerByteGas',
    description: 'gas per byte of a registered tokenizer vocabulary, on top of the transaction bytes',
    default: 16n,
    min: 0n,
    max: 100_000n,
    unit: 'gas',
  },
];

/** Devnet values (DESIGN §4 table, devnet column) as genesis overrides `"models.<name>"`. */
export function modelsDevnetParams(): Record<string, bigint> {
  return {
    'models.deployFee': 100n * OPEN,
    'models.minRatePer1k': 0n,
    'models.maxRatePer1k': 1_000n * OPEN,
    'models.maxPinnedDatanets': 8n,
    'models.tokenizerByteGas': 16n,
  };
}
