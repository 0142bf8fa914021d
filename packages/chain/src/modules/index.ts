import { App, type AppOptions } from '../app.js';
import type { Module } from '../module.js';
import { challengesModule } from './challenges/index.js';
import { datanetsModule } from './datanets/index.js';
import { distributionModule } from './distribution/index.js';
import { feedbackModule } from './feedback/index.js';
import { govModule } from './gov/index.js';
import { modelsModule } from './models/index.js';
import { settlementModule } from './settlement/index.js';
import { slashingModule } from './slashing/index.js';
import { stakingModule } from './staking/index.js';
import { treasuryModule } from './treasury/index.js';

/**
 * The chain's module list, in hook order after auth, bank and params. Add a module here (one line)
 * when it lands; everything else (router, params registry, genesis, RPC queries) follows.
 * Order matters where a factory uses another's keeper: slashing before staking before distribution.
 */
export function chainModules(app: App): Module[] {
  return [
    treasuryModule(app),
    slashingModule(app),
    stakingModule(app),
    distributionModule(app),
    govModule(app),
    datanetsModule(app),
    modelsModule(app),
    settlementModule(app),
    feedbackModule(app),
    challengesModule(app),
  ];
}

/** The application with every module: what the node, the tests and the SDK's simulations run. */
export function createApp(options: AppOptions = {}): App {
  return new App(chainModules, options);
}
