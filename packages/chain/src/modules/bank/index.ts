import { type Address, decode, parseAddress } from '@openledger/core';
import type { Ctx } from '../../context.js';
import { ChainError } from '../../errors.js';
import type { Module } from '../../module.js';
import {
  BALANCE_PREFIX,
  balanceKey,
  createBankKeeper,
  FEE_COLLECTOR,
  SUPPLY_KEY,
  TREASURY,
} from './keeper.js';

export { type BankKeeper, balanceKey, FEE_COLLECTOR, TREASURY } from './keeper.js';

/** The bank module (DESIGN §4.1): balances, transfers, total supply, the treasury and fee collector. */
export function bankModule(): Module & { keeper: ReturnType<typeof createBankKeeper> } {
  const keeper = createBankKeeper();
  return {
    name: 'bank',
    keeper,
    messages: [
      {
        kind: 'Transfer',
        description: 'Send OPEN to another account.',
        fields: [
          { name: 'to', type: 'address' },
          { name: 'amount', type: 'uint256' },
        ],
        baseGas: 5_000n,
        prefetch: (msg: { from: Address; to: Address }) => [balanceKey(msg.to)],
        async handle(ctx: Ctx, msg: { from: Address; to: Address; amount: bigint }) {
          if (msg.amount === 0n) throw new ChainError('INVALID_MESSAGE', 'transfer amount must be positive');
          await keeper.transfer(ctx, msg.from, msg.to, msg.amount);
          ctx.emit('bank.transfer', { from: msg.from, to: msg.to, amount: msg.amount });
        },
      },
    ],
    async initGenesis(ctx, genesis) {
      for (const account of genesis.accounts)
        await keeper.mint(ctx, account.address, account.balance, 'genesis');
    },
    queries: {
      async balance({ state }, args) {
        const address = parseAddress(String(args.address));
        const bytes = await state.get(balanceKey(address));
        return { address, balance: bytes ? (decode(bytes) as bigint) : 0n };
      },
      async supply({ state }) {
        const bytes = await state.get(SUPPLY_KEY);
        return {
          supply: bytes ? (decode(bytes) as bigint) : 0n,
          treasury: TREASURY,
          feeCollector: FEE_COLLECTOR,
        };
      },
    },
    invariants: {
      /** sum(balances), module accounts included, equals the total supply. */
      async supply(ctx) {
        let sum = 0n;
        for await (const [, value] of ctx.state.iterate(BALANCE_PREFIX)) sum += decode(value) as bigint;
        const supply = await keeper.supply(ctx);
        return sum === supply ? undefined : `sum of balances ${sum} != total supply ${supply}`;
      },
    },
  };
}
