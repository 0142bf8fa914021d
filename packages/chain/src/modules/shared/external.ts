import type { Address } from '@openledger/core';
import type { App } from '../../app.js';
import { SYSTEM } from '../../app.js';
import { Ctx } from '../../context.js';
import { InfiniteGasMeter } from '../../gas.js';
import type { QueryContext } from '../../module.js';

/**
 * Slashes by the datanets and settlement modules: the OPEN leaves `from` for the slashing module's
 * holding, where it waits out the appeal window and then burns unless a ReverseSlash returns it (DESIGN §4.2).
 */
export async function holdSlashed(
  ctx: Ctx,
  from: Address,
  amount: bigint,
  info: { offender: Address; reason: string; module: string },
): Promise<bigint> {
  if (amount === 0n) return 0n;
  return ctx.keepers.slashing.hold(ctx, {
    from,
    amount,
    module: info.module,
    subject: info.offender,
    reason: info.reason,
  });
}

/** A read-only context over a query's state (unmetered; block time 0 unless given). */
export function queryCtx(app: App, q: QueryContext, time = 0n): Ctx {
  return new Ctx(
    q.state,
    new InfiniteGasMeter(),
    { chainId: 0n, height: q.height, time, proposer: SYSTEM },
    SYSTEM,
    app.keepers,
  );
}
