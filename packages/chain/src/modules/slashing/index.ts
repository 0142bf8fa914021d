import { type Address, decode, formatOpen } from '@openledger/core';
import type { App } from '../../app.js';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { Module } from '../../module.js';
import { queryCtx, readInteger } from '../../state-values.js';
import { createSlashingKeeper, decodeSlash, HELD_KEY, SLASH_PREFIX, SLASHED, slashKey } from './keeper.js';

export {
  type HoldParameters,
  SLASHED,
  type SlashingKeeper,
  type SlashRecord,
  type SlashReturnHandler,
  type SlashStatus,
} from './keeper.js';

const DAY = 86_400n;

/** Reads a slash id from query arguments or a message. */
function slashId(value: unknown): bigint {
  try {
    const id = BigInt(value as string);
    if (id > 0n) return id;
  } catch {}
  throw new ChainError('INVALID_MESSAGE', `slash id must be a positive integer, got ${String(value)}`);
}

/**
 * Slashed funds (DESIGN §4.2): every slash waits in the `slashed` module account for `appealWindow`
 * and burns when it closes (end of block, at most `maxBurnsPerBlock` a block), unless a governance
 * `ReverseSlash` executed before (then it returns to the slashing module, e.g. back to the stake).
 */
export function slashingModule(app: App): Module {
  const keeper = createSlashingKeeper();
  app.setKeeper('slashing', keeper);

  /** Appeals must be proposed early enough to execute before the window closes (DESIGN §4 table). */
  const checkAppealDeadline = async (ctx: Ctx, id: bigint) => {
    const s = await keeper.slash(ctx, id);
    if (!s) throw new ChainError('NOT_FOUND', `no slash with id ${id}`);
    if (s.status !== 'held')
      throw new ChainError(
        'SLASH_NOT_HELD',
        `slash ${id} was already ${s.status}; nothing is left to return`,
      );
    const params = ctx.keepers.params;
    const path =
      (await params.get(ctx, 'gov', 'votingDelay')) +
      (await params.get(ctx, 'gov', 'votingPeriod')) +
      (await params.get(ctx, 'gov', 'timelock'));
    if (ctx.block.time + path >= s.expiresAt) {
      throw new ChainError(
        'APPEAL_TOO_LATE',
        `an appeal of slash ${id} must be proposed before time ${s.expiresAt - path} (the window closes at ${s.expiresAt}; voting delay + period + timelock take ${path} s)`,
      );
    }
  };

  return {
    name: 'slashing',
    params: [
      {
        name: 'appealWindow',
        description:
          'seconds slashed OPEN wait before burning; appeals must be proposed within appealWindow − (votingDelay + votingPeriod + timelock)',
        default: 14n * DAY,
        min: 1n,
        max: 365n * DAY,
        unit: 'seconds',
      },
      {
        name: 'maxBurnsPerBlock',
        description: 'expired slashes burned per block at most (bounded work per block)',
        default: 100n,
        min: 1n,
        max: 10_000n,
        unit: 'count',
      },
    ],
    messages: [
      {
        kind: 'ReverseSlash',
        description: 'Return a slash still in its appeal window (only through an executed proposal).',
        authority: 'governance',
        treasury: true,
        fields: [{ name: 'slashId', type: 'uint256' }],
        baseGas: 20_000n,
        async validate(ctx: Ctx, msg: { from: Address; slashId: bigint }) {
          await checkAppealDeadline(ctx, slashId(msg.slashId));
        },
        async handle(ctx: Ctx, msg: { from: Address; slashId: bigint }) {
          await keeper.reverse(ctx, slashId(msg.slashId));
        },
      },
    ],
    async endBlock(ctx) {
      await keeper.burnExpired(ctx);
    },
    queries: {
      async slash(q, args) {
        const id = slashId(args.id);
        const s = await keeper.slash(queryCtx(q, app.keepers), id);
        if (!s) throw new ChainError('NOT_FOUND', `no slash with id ${id}`);
        return s;
      },
      /** Slashes by id ascending from `fromId` (default 1), at most `limit` (default 100, max 1000). */
      async slashes(q, args) {
        const from = args.fromId === undefined ? 1n : slashId(args.fromId);
        const limit = Math.min(Number(args.limit ?? 100) || 100, 1000);
        const out = [];
        for await (const [key, value] of q.state.iterate(SLASH_PREFIX, { gte: slashKey(from), limit })) {
          const id = new DataView(key.buffer, key.byteOffset + SLASH_PREFIX.length, 8).getBigUint64(0);
          out.push(decodeSlash(id, decode(value)));
        }
        return {
          slashes: out,
          held: await readInteger(queryCtx(q, app.keepers), HELD_KEY),
          account: SLASHED,
        };
      },
    },
    invariants: {
      /** The held counter equals the slashes still held, and the slashed account covers them. */
      async held(ctx) {
        let sum = 0n;
        for await (const [key, value] of ctx.state.iterate(SLASH_PREFIX)) {
          const id = new DataView(key.buffer, key.byteOffset + SLASH_PREFIX.length, 8).getBigUint64(0);
          const s = decodeSlash(id, decode(value));
          if (s.status === 'held') sum += s.amount;
        }
        const held = await keeper.held(ctx);
        if (sum !== held) return `held slashes sum to ${sum} but the counter says ${held}`;
        const balance = await ctx.keepers.bank.balance(ctx, SLASHED);
        if (balance < held)
          return `slashed account holds ${formatOpen(balance)} OPEN, less than the ${formatOpen(held)} OPEN held`;
        return undefined;
      },
    },
  };
}
