import type { Address } from '@openledger/core';
import type { App } from '../../app.js';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { Module } from '../../module.js';
import { queryCtx } from '../../state-values.js';
import { createTreasuryKeeper } from './keeper.js';

export type { TreasuryKeeper, TreasuryStatus } from './keeper.js';

const DAY = 86_400n;

type TreasurySpendMessage = { from: Address; to: Address; amount: bigint; memo: string };

/**
 * The protocol treasury's spending side (DESIGN §4.1, §4.3): `TreasurySpend` (governance only) and
 * the rolling outflow cap that every spend or reservation passes through (`keepers.treasury`).
 */
export function treasuryModule(app: App): Module {
  const keeper = createTreasuryKeeper();
  app.setKeeper('treasury', keeper);
  const checkSpend = (msg: TreasurySpendMessage) => {
    if (msg.amount === 0n) throw new ChainError('INVALID_MESSAGE', 'a treasury spend must be positive');
    if (msg.memo.length > 280) throw new ChainError('INVALID_MESSAGE', 'memo is longer than 280 characters');
  };
  return {
    name: 'treasury',
    params: [
      {
        name: 'outflowCapBps',
        description: 'share of the treasury balance that spends and reservations may take per rolling window',
        default: 1_000n,
        min: 0n,
        max: 10_000n,
        unit: 'bps',
      },
      {
        name: 'outflowWindow',
        description: 'length of the rolling window of the treasury outflow cap',
        default: 30n * DAY,
        min: 1n,
        max: 365n * DAY,
        unit: 'seconds',
      },
    ],
    messages: [
      {
        kind: 'TreasurySpend',
        description:
          'Pay OPEN from the protocol treasury, within the outflow cap (only through an executed proposal).',
        authority: 'governance',
        treasury: true,
        fields: [
          { name: 'to', type: 'address' },
          { name: 'amount', type: 'uint256' },
          { name: 'memo', type: 'string' },
        ],
        baseGas: 20_000n,
        async validate(ctx: Ctx, msg: TreasurySpendMessage) {
          checkSpend(msg);
          const s = await keeper.status(ctx);
          if (msg.amount > s.available) {
            throw new ChainError(
              'TREASURY_CAP_EXCEEDED',
              `treasury outflow cap: ${msg.amount} asked, ${s.available} available now (base units; ${s.capBps} bps of the balance per ${s.window} s)`,
            );
          }
        },
        async handle(ctx: Ctx, msg: TreasurySpendMessage) {
          checkSpend(msg);
          await keeper.withdraw(ctx, msg.to, msg.amount, msg.memo);
        },
      },
    ],
    queries: {
      /**
       * The cap at block time `time` (pass the latest block's time; without it, the status as of the
       * most recent outflow, which can only overstate the window's outflow).
       */
      async status(q, args) {
        const ctx = queryCtx(q, app.keepers);
        const now = args.time === undefined ? await keeper.lastOutflowTime(ctx) : BigInt(args.time as string);
        return keeper.status(ctx, now);
      },
    },
  };
}
