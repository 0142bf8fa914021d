#!/usr/bin/env node
// Cost of lazy F1 fee distribution (DESIGN §4.2) against the number of delegators: one block's
// distribution (the whole applyBlock of an empty block with a stakers' deposit to distribute) and
// one reward withdrawal (keeper call: by a different delegator each time, and by the same one; and
// the gas of a WithdrawRewards transaction), with 10, 1,000 and 100,000 delegators (two validators).
// Prints JSON; ratios are against the 10-delegator run of the same process, after a warm-up run.
// Run: npm run build && node bench/distribution.mjs  (goal: ratios within 1.5; BENCH_SIZES=10,1000
// BENCH_REPS=30 for a quick run; add --expose-gc to collect garbage before each timed step)
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
/**
 * With --expose-gc, a full collection before each timed step keeps collector pauses of the
 * benchmark's own in-memory state (hundreds of thousands of keys in a JS Map; a node keeps them in
 * LevelDB) out of the figures.
 */
const settle = () => globalThis.gc?.();

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
  const system = (b, over = state) => new Ctx(over, new InfiniteGasMeter(), b, OPERATORS[0], app.keepers);
  // A stakers' deposit (outside a block, as settlement would make inside one) and the block that
  // distributes it are committed together: their net writes only change existing keys, so the sorted
  // index of MemoryState is not spliced (an O(n) memmove that would also evict caches) between steps.
  const depositAndDistribute = async (amount, timed) => {
    const b = block();
    const deposit = system({ ...b, height, time });
    await app.keepers.distribution.depositStakersReward(deposit, FUNDER, amount);
    settle();
    const s = now();
    const result = await app.applyBlock(deposit.state, b, [], 'build');
    timed?.push(now() - s);
    state.apply(new Map([...deposit.state.writes, ...result.writes]));
    height = b.height;
    time = b.time;
  };

  // one block's distribution: the whole (empty) block that distributes the fees and deposits
  const distributeMs = [];
  for (let r = 0; r < REPS; r++) await depositAndDistribute(7n * OPEN + BigInt(r), distributeMs);

  // one withdrawal (keeper call), each after another distribution so that it always pays: by a
  // different delegator each time (its entries are cold in memory), and by the same one (warm)
  const withdraw = async (pick, timed) => {
    await depositAndDistribute(3n * OPEN);
    const index = pick();
    const delegator = delegators[index] ?? SIGNER;
    const ctx = system(block());
    const validator = await app.keepers.staking.validator(ctx, OPERATORS[index % 2]);
    settle();
    const s = now();
    const paid = await app.keepers.distribution.withdraw(ctx, validator, delegator);
    timed.push(now() - s);
    if (paid.reward === 0n) throw new Error('the benchmark withdrawal paid nothing');
    state.apply(ctx.state.writes);
  };
  const withdrawMs = [];
  const withdrawWarmMs = [];
  for (let r = 0; r < REPS; r++) await withdraw(() => (r * 7919) % delegators.length, withdrawMs);
  for (let r = 0; r < REPS; r++) await withdraw(() => 0, withdrawWarmMs);

  // the price of one state read of a random delegation (cold) against a repeated one (warm), in µs
  const readUs = async (pick) => {
    const times = [];
    const ctx = system(block());
    for (let r = 0; r < REPS * 4; r++) {
      const index = pick(r);
      const s = now();
      await app.keepers.staking.delegationShares(ctx, OPERATORS[index % 2], delegators[index] ?? SIGNER);
      times.push((now() - s) * 1000);
    }
    return median(times);
  };
  const coldReadUs = await readUs((r) => (r * 7919 + 13) % delegators.length);
  const warmReadUs = await readUs(() => 0);

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
    withdrawWarmMs: median(withdrawWarmMs),
    withdrawGas: Number(receipt.gasUsed),
    coldReadUs: Math.round(coldReadUs * 10) / 10,
    warmReadUs: Math.round(warmReadUs * 10) / 10,
  };
}

// warm the JIT first, so that the baseline is not flattered by the first run's compilation
await measure(SIZES[0]);
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
    withdrawWarmMs: round(r.withdrawWarmMs),
    ratios: {
      distributeBlock: round(r.distributeBlockMs / base.distributeBlockMs),
      withdraw: round(r.withdrawMs / base.withdrawMs),
      withdrawWarm: round(r.withdrawWarmMs / base.withdrawWarmMs),
      withdrawGas: round(r.withdrawGas / base.withdrawGas),
    },
  })),
  goal: 'ratios within 1.5 from the smallest to the largest delegator count',
  note:
    'gas is the deterministic cost; withdraw (a different delegator each time) also pays for reading ' +
    'entries that are cold in memory, which a map of n entries makes slower as n grows; withdrawWarm ' +
    'repeats one delegator',
};
out.flat = out.runs.every((r) => Object.values(r.ratios).every((x) => x <= 1.5));
console.log(JSON.stringify(out, null, 2));
