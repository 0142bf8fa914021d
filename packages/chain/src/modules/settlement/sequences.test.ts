import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Hex, OPEN } from '@openledger/core';
import { ADDRS, contributionOf, DEFAULT_DATANET, eventAttr, KEYS } from '../shared/testkit.js';
import { address, key, market, receiptResults } from './fixture.js';

/**
 * Property: random sequences of the datanets, models, settlement and feedback messages — good and bad —
 * never create or destroy OPEN (the supply stays the genesis supply) and keep every module invariant.
 */
test('property: supply is conserved and invariants hold across random sequences of all the messages', async () => {
  const tally = new Map<string, number>();
  for (const seed of [1, 2, 3]) {
    const m = await market({ params: { 'feedback.feedbackEpoch': 200n, 'feedback.ratingWindow': 60n } });
    const { chain } = m;
    const supply0 = await chain.supply();
    const send = chain.send.bind(chain);
    chain.send = async (k, kind, fields, gas) => {
      const r = await send(k, kind, fields, gas);
      const key = `${kind}:${r.status === 'ok' ? 'ok' : r.code}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      return r;
    };
    let a = seed >>> 0;
    // mulberry32: a small seeded PRNG (test schedules only)
    const rand = (n: number) => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    };
    const users = [1, 2, 3, 4, 9, 10, 11];
    const pick = () => users[rand(users.length)]!;
    for (const u of users) await chain.ok(KEYS[u]!, 'BondFeedback', { amount: 10n * OPEN });
    const contributions = [...m.contributions];
    const pendingContributions: Hex[] = [];
    const receipts: Hex[] = [];
    let counter = 0;
    const ops: Array<() => Promise<unknown>> = [
      async () => {
        const c = contributionOf(`row ${seed} ${counter++}\n\nmore ${rand(1000)}`);
        const r = await chain.send(KEYS[pick()]!, 'Contribute', {
          datanet: m.datanet,
          blobHash: c.blobHash,
          size: c.size,
          rowCount: c.rowCount,
          rowsRoot: c.rowsRoot,
        });
        if (r.status === 'ok')
          pendingContributions.push(eventAttr(r, 'datanets.contributed', 'contribution') as Hex);
      },
      async () => {
        const id = pendingContributions.shift();
        if (!id) return;
        const kind = rand(3) === 0 ? 'RejectContribution' : 'ApproveContribution';
        const fields =
          kind === 'RejectContribution'
            ? { contribution: id, adversarial: rand(2) === 0, reason: 'r' }
            : { contribution: id };
        const r = await chain.send(key('curator'), kind, fields);
        if (r.status === 'ok' && kind === 'ApproveContribution') contributions.push(id);
      },
      async () => {
        const version = rand(2) ? m.v1 : m.v2;
        const who = version === m.v1 ? ['alice', 'bob'] : (['alice', 'bob', 'carol'] as const);
        const chosen = (who as readonly ('alice' | 'bob' | 'carol')[]).filter(() => rand(2) === 1);
        let left = 1_000_000n;
        const weights = chosen.map((c) => {
          const ppm = BigInt(1 + rand(Number(left / 2n)));
          left -= ppm;
          return { contributor: address(c), ppm };
        });
        weights.sort((a, b) =>
          a.ppm > b.ppm
            ? -1
            : a.ppm < b.ppm
              ? 1
              : a.contributor.toLowerCase() < b.contributor.toLowerCase()
                ? -1
                : 1,
        );
        // sometimes a bad receipt (caps, fee) rides along
        const bad = m.receipt({ version, maxFee: 1n });
        const good = m.receipt({
          version,
          inputTokens: BigInt(rand(3000)),
          outputTokens: BigInt(rand(3000)),
          weights,
          fallbackPpm: left,
        });
        const r = await chain.send(key('operator'), 'SettleInference', {
          receipts: rand(2) ? [good, bad] : [good],
        });
        for (const x of receiptResults(r)) if (x.status === 'ok') receipts.push(x.receipt as Hex);
      },
      async () => {
        const who = pick();
        const mine = [];
        for (const id of contributions) {
          const c = (await chain.query('datanets.contribution', { id })) as { contributor: string };
          if (c.contributor === ADDRS[who]) mine.push(id);
        }
        await chain.send(KEYS[who]!, 'ClaimRewards', { contributions: mine.slice(0, 5) });
      },
      async () => chain.send(key('owner'), 'ClaimRewards', { contributions: [] }),
      async () => {
        const r = await chain.send(KEYS[pick()]!, 'RegisterModel', {
          name: 'x',
          baseModel: 'b',
          description: '',
        });
        if (r.status === 'ok') {
          const model = eventAttr(r, 'models.registered', 'model');
          await chain.send(KEYS[ADDRS.indexOf(r.from)]!, 'BuyTrainingLicence', {
            model,
            datanet: m.datanet,
            version: BigInt(1 + rand(3)),
          });
        }
      },
      async () => chain.send(key('payer'), 'FundEscrow', { amount: BigInt(rand(100)) * OPEN, operators: [] }),
      async () =>
        chain.send(key('payer'), 'RequestEscrowWithdrawal', { amount: BigInt(1 + rand(50)) * OPEN }),
      async () => chain.send(key('payer'), 'WithdrawEscrow', {}),
      async () => chain.send(KEYS[pick()]!, 'BondFeedback', { amount: BigInt(1 + rand(20)) * OPEN }),
      async () => chain.send(KEYS[pick()]!, 'UnbondFeedback', { amount: BigInt(1 + rand(5)) * OPEN }),
      async () => {
        const receipt = receipts[receipts.length - 1 - rand(Math.min(3, receipts.length) || 1)];
        if (receipt)
          await chain.send(KEYS[pick()]!, 'RateOutput', {
            receipt,
            score: BigInt(1 + rand(6)),
            correction: '',
          });
      },
      async () => {
        const receipt = receipts[rand(receipts.length || 1)];
        if (receipt) await chain.send(KEYS[pick()]!, 'FinalizeRatings', { receipt });
      },
      async () => {
        const id = contributions[rand(contributions.length)];
        if (id) await chain.send(key('curator'), 'FlagContribution', { contribution: id, reason: 'biased' });
      },
      async () =>
        chain.send(key('operator'), rand(10) === 0 ? 'UnbondOperator' : 'BondOperator', { amount: OPEN }),
      async () => (rand(4) === 0 ? chain.advance(8n * 86_400n + 10n) : undefined), // unbondings complete
      async () =>
        chain.send(KEYS[pick()]!, 'CreateDatanet', {
          ...DEFAULT_DATANET,
          trainingFee: BigInt(rand(5)) * OPEN,
        }),
      async () => chain.advance(BigInt(1 + rand(30))),
    ];
    for (let step = 0; step < 80; step++) {
      await ops[rand(ops.length)]!();
      if (step % 10 === 9) {
        assert.equal(await chain.supply(), supply0, `seed ${seed}, step ${step}: supply changed`);
        assert.deepEqual(await chain.invariants(), [], `seed ${seed}, step ${step}`);
      }
    }
    assert.equal(await chain.supply(), supply0);
    assert.deepEqual(await chain.invariants(), []);
  }
  // the sequences reach the interesting paths, not only refusals
  for (const kind of [
    'Contribute',
    'ApproveContribution',
    'SettleInference',
    'ClaimRewards',
    'BuyTrainingLicence',
    'RateOutput',
  ]) {
    assert.ok((tally.get(`${kind}:ok`) ?? 0) > 0, `no successful ${kind}: ${JSON.stringify([...tally])}`);
  }
  if (process.env.SHOW_TALLY) console.log([...tally].sort());
});
