import type { AuthKeeper } from './modules/auth/keeper.js';
import type { BankKeeper } from './modules/bank/keeper.js';
import type { ParamsKeeper } from './modules/params/keeper.js';
import type { RouterKeeper } from './router.js';

/**
 * The small interfaces through which modules reach each other (Cosmos keepers). A module that
 * offers a keeper adds it here by declaration merging in its own folder:
 *   declare module '../../keepers.js' { interface Keepers { staking: StakingKeeper } }
 * and its factory registers it with `app.setKeeper('staking', keeper)`.
 */
export interface Keepers {
  auth: AuthKeeper;
  bank: BankKeeper;
  params: ParamsKeeper;
  router: RouterKeeper;
}
