import assert from 'node:assert/strict';
import { test } from 'node:test';
import { u64be, utf8 } from '@openledger/core';
import fc from 'fast-check';
import { SYSTEM } from '../../app.js';
import { Ctx } from '../../context.js';
import { GasMeter, InfiniteGasMeter } from '../../gas.js';
import type { Keepers } from '../../keepers.js';
import { MemoryState } from '../../state/overlay.js';
import { fenwickAdd, fenwickSuffix } from './fenwick.js';

const key = (i: bigint) => new Uint8Array([...utf8('fw/'), ...u64be(i)]);
const ctxOf = (gas = new InfiniteGasMeter()) =>
  new Ctx(
    new MemoryState(),
    gas,
    { chainId: 1n, height: 1, time: 0n, proposer: SYSTEM },
    SYSTEM,
    {} as Keepers,
  );

test('property: suffix sums equal the naive sum over versions ≥ c while versions are appended', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.constant<['append']>(['append']),
          fc.tuple(fc.constant('credit' as const), fc.nat(1_000), fc.bigInt({ min: 0n, max: 10n ** 30n })),
        ),
        {
          maxLength: 80,
        },
      ),
      async (ops) => {
        const ctx = ctxOf();
        const naive: bigint[] = [0n]; // naive[v] = reward per row added at v (1-based)
        let size = 0n;
        for (const op of ops) {
          if (op[0] === 'append') {
            size++;
            naive.push(0n);
          } else if (size > 0n) {
            const v = BigInt(op[1] % Number(size)) + 1n;
            naive[Number(v)]! += op[2];
            await fenwickAdd(ctx, key, v, op[2]);
          }
          for (let c = 1n; c <= size; c++) {
            let expect = 0n;
            for (let v = c; v <= size; v++) expect += naive[Number(v)]!;
            assert.equal(await fenwickSuffix(ctx, key, c, size), expect);
          }
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('cost grows with log(versions): a credit and a claim touch O(log n) nodes', async () => {
  const reads = async (n: bigint) => {
    const gas = new GasMeter(1n << 60n);
    const ctx = ctxOf(gas);
    await fenwickAdd(ctx, key, n - 1n, 5n);
    const afterAdd = gas.used;
    await fenwickSuffix(ctx, key, 1n, n);
    return { add: afterAdd, claim: gas.used - afterAdd };
  };
  const small = await reads(16n);
  const large = await reads(65_536n);
  // 65,536 versions is 4,096× more than 16, yet the cost is only a few times larger (log2: 4 vs 16)
  assert.ok(large.add <= small.add * 5n, `add ${small.add} → ${large.add}`);
  assert.ok(large.claim <= small.claim * 5n, `claim ${small.claim} → ${large.claim}`);
});
