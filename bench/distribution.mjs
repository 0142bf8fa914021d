#!/usr/bin/env node
// Cost of lazy F1 fee distribution (DESIGN §4.2) against the number of delegators: one block's
// distribution (end-of-block hook, the whole applyBlock of an empty block with fees to distribute)
// and one reward withdrawal (keeper call, and gas of a WithdrawRewards transaction), with 10, 1,000
// and 100,000 delegators. Prints JSON; ratios are against the 10-delegator run of the same process.
// Run: npm run build && node bench/distribution.mjs   (goal: every ratio within 1.5)
import {
  Ctx,
  createApp,
  InfiniteGasMeter,
  MemoryState,
  signTransaction,
} from '../packages/chain/dist/index.js';
import { OPEN, privateKeyToAddress } from '../packages/core/dist/index.js';

const SIZES = (process.env.BENCH_SIZES ?? '10,1000,100000').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 60);
const CHAIN_ID = 1337n;
const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const SIGNER = privateKeyToAddress(KEY);
const OPERATORS = [
  privateKeyToAddress('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'),
  privateKeyToAddress('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a'),
];
const FUNDER = privateKeyToAddress('0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6');

const delegatorAddress = (i) => `0x${(i + 1).toString(16).padStart(40, '0')}`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const now = () => Number(process.hrtime.bigint()) / 1e6;

async function measure(n) {
  const app = createApp();
  const state = new MemoryState();
  const delegators = Array.from({ length: n - 1 }, (_, i) => delegatorAddress(i));
  let time = 1_700_000_000n;
  const t0 = now();
  const { writes } = await app.genesis(state, {
    chainId: CHAIN_ID,
    genesisTime: time,
    sequencer: OPERATORS[0],
    accounts: [
      ...OPERATORS.map((address) => ({ address, balance: 1_000_000n * OPEN })),
      { address: SIGNER, balance: 1_000_000n * OPEN },
      { address: FUNDER, balance: 10n ** 9n * OPEN },
      ...delegators.map((address) => ({ address, balance: 100n * OPEN })),
    ],
    modules: {
      staking: {
        validators: OPERATORS.map((operator, i) => ({
          operator,
          consensusKey: `0x${String(i + 1).repeat(64)}`,
          commissionBps: 500,
          selfBond: 1_000n * OPEN,
        })),
        delegations: [
          { delegator: SIGNER, validator: OPERATORS[0], amount: 10n * OPEN },
          ...delegators.map((delegator, i) => ({
            delegator,
            validator: OPERATORS[i % 2],
            amount: OPEN + BigInt(i),
          })),
        ],
      },
    },
  });
  state.apply(writes);
  const setupMs = now() - t0;
  let height = 1;
  const block = () => ({ chainId: CHAIN_ID, height: height + 1, time: time + 1n, proposer: OPERATORS[0] });
  const commit = (b, result) => {
    state.apply(result.writes);
    height = b.height;
    time = b.time;
  };
  const system = (b) => new Ctx(state, new InfiniteGasMeter(), b, OPERATORS[0], app.keepers);

  // one block's distribution: deposit a stakers' reward, then apply the (empty) block that distributes it
  const distributeMs = [];
  for (let r = 0; r < REPS; r++) {
    const b = block();
    const ctx = system({ ...b, height, time });
    await app.keepers.distribution.depositStakersReward(ctx, FUNDER, 7n * OPEN + BigInt(r));
    state.apply(ctx.state.writes);
    const s = now();
    const result = await app.applyBlock(state, b, [], 'build');
    distributeMs.push(now() - s);
    commit(b, result);
  }

  // one withdrawal (keeper call), each after another distribution so that it always pays
  const withdrawMs = [];
  for (let r = 0; r < REPS; r++) {
    const fund = block();
    const deposit = system({ ...fund, height, time });
    await app.keepers.distribution.depositStakersReward(deposit, FUNDER, 3n * OPEN);
    state.apply(deposit.state.writes);
    commit(fund, await app.applyBlock(state, fund, [], 'build'));
    const index = (r * 7919) % delegators.length;
    const delegator = delegators[index] ?? SIGNER;
    const ctx = system(block());
    const validator = await app.keepers.staking.validator(ctx, OPERATORS[index % 2]);
    const s = now();
    const paid = await app.keepers.distribution.withdraw(ctx, validator, delegator);
    withdrawMs.push(now() - s);
    if (paid.reward === 0n) throw new Error('the benchmark withdrawal paid nothing');
    state.apply(ctx.state.writes);
  }

  // the gas of a WithdrawRewards transaction (deterministic cost)
  const b = block();
  const tx = signTransaction(
    app.registry,
    CHAIN_ID,
    'WithdrawRewards',
    { from: SIGNER, nonce: 0n, gasLimit: 1_000_000n, gasPrice: 1_000_000_000n, validator: OPERATORS[0] },
    KEY,
  );
  const result = await app.applyBlock(state, b, [app.prepareTx(app.registry.encodeTx(tx))], 'build');
  const receipt = result.receipts[0];
  if (receipt?.status !== 'ok') throw new Error(`WithdrawRewards failed: ${receipt?.error}`);
  return {
    delegators: n,
    stateKeys: state.data.size,
    setupMs: Math.round(setupMs),
    distributeBlockMs: median(distributeMs),
    withdrawMs: median(withdrawMs),
    withdrawGas: Number(receipt.gasUsed),
  };
}

const runs = [];
for (const n of SIZES) runs.push(await measure(n));
const base = runs[0];
const round = (x) => Math.round(x * 1000) / 1000;
const out = {
  benchmark: 'distribution',
  reps: REPS,
  runs: runs.map((r) => ({
    ...r,
    distributeBlockMs: round(r.distributeBlockMs),
    withdrawMs: round(r.withdrawMs),
    ratios: {
      distributeBlock: round(r.distributeBlockMs / base.distributeBlockMs),
      withdraw: round(r.withdrawMs / base.withdrawMs),
      withdrawGas: round(r.withdrawGas / base.withdrawGas),
    },
  })),
  goal: 'ratios within 1.5 from the smallest to the largest delegator count',
};
out.flat = out.runs.every((r) => Object.values(r.ratios).every((x) => x <= 1.5));
console.log(JSON.stringify(out, null, 2));
