import { datanetsDevnetParams } from './datanets/params.js';
import { feedbackDevnetParams } from './feedback/params.js';
import { modelsDevnetParams } from './models/params.js';
import { settlementDevnetParams } from './settlement/params.js';
import { stakingDevnetParams } from './staking-devnet.js';

/** The devnet column of DESIGN §4's parameter table for every module, as genesis overrides. */
export function devnetParams(): Record<string, bigint> {
  return {
    ...stakingDevnetParams(),
    ...datanetsDevnetParams(),
    ...modelsDevnetParams(),
    ...settlementDevnetParams(),
    ...feedbackDevnetParams(),
  };
}
