import { App, type AppOptions } from '../app.js';
import type { Module } from '../module.js';

/**
 * The chain's module list, in hook order after auth, bank and params. Add a module here (one line)
 * when it lands; everything else (router, params registry, genesis, RPC queries) follows.
 */
export function chainModules(_app: App): Module[] {
  return [];
}

/** The application with every module: what the node, the tests and the SDK's simulations run. */
export function createApp(options: AppOptions = {}): App {
  return new App(chainModules, options);
}
