import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashVoucher, signUsage, signVoucher } from '@openledger/chain';
import { type Address, fromHex, type Hex, keccak256, OPEN, sha256, toHex, utf8 } from '@openledger/core';
import { CHAT_TEMPLATE_HASH } from '@openledger/engine';
import { OpenLedgerClient, privateKeySigner, trace, uploadBlob } from '@openledger/sdk';
import { DEFAULT_TOKENIZER_HASH } from '@openledger/tokenizer';
import {
  demoContributors,
  demoKey,
  loadManifest,
  OPERATOR_GENESIS_BOND,
  repoRoot,
} from '../devnet-config.js';
import { run } from '../main.js';
import { startDevnet } from './node.js';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

const addressOf = (name: 'operator' | 'dave' | 'erin' | 'bob') =>
  privateKeySigner(demoKey(name)).address as Address;

test('end to end on a devnet: seed with a demo adapter → settle a receipt with wrong weights → `attribution challenge` → operator slashed, challenger paid', async () => {
  const home = await mkdtemp(join(tmpdir(), 'ol-attr-e2e-'));
  process.env.OPENLEDGER_HOME = home;
  // a small fixture standing in for the engine's demo adapter
  const adapter = {
    dir: join(home, 'adapter'),
    adapter: utf8('fixture adapter weights'),
    config: utf8('{"peft_type":"LORA","r":8}'),
  };
  const devnet = await startDevnet({
    dataDir: join(home, 'devnet'),
    port: 0,
    blockIntervalMs: 50,
    adapter,
    log: () => {},
  });
  const rpc = ['--rpc', devnet.rpc.url];
  const c = new OpenLedgerClient(devnet.rpc.url);
  try {
    // the demo model: Approved at genesis, a Deployed version pinning the seeded versions
    const seeded = devnet.seeded!;
    assert.ok(seeded.model, 'the demo model is seeded when the adapter is present');
    const version = await c.query<{
      status: string;
      adapterHash: string;
      tokenizerHash: string;
      chatTemplateHash: string;
      operators: string[];
      pins: { datanet: string; version: string }[];
    }>('models.version', { id: seeded.model.version });
    assert.equal(version.status, 'Deployed');
    assert.equal(version.adapterHash, toHex(sha256(adapter.adapter)));
    assert.equal(version.tokenizerHash, `0x${DEFAULT_TOKENIZER_HASH}`);
    assert.equal(version.chatTemplateHash, `0x${CHAT_TEMPLATE_HASH}`);
    assert.deepEqual(version.operators, [addressOf('operator')]);
    assert.deepEqual(
      version.pins.map((p) => `${p.datanet}@${p.version}`).sort(),
      seeded.datanets.map((d) => `${d.id}@${d.versions}`).sort(),
    );
    const model = await c.query<{ stage: string }>('models.model', { id: seeded.model.id });
    assert.equal(model.stage, 'Approved');
    const bondBefore = (
      await c.query<{ bonded: string }>('settlement.operator', { address: addressOf('operator') })
    ).bonded;
    assert.equal(BigInt(bondBefore), OPERATOR_GENESIS_BOND);

    // an output quoting two contributors' rows, traced against the model version
    const vint = readFileSync(join(repoRoot(), 'data', 'datanets', 'computing', '03-vint.txt'), 'utf8');
    const marie = readFileSync(join(repoRoot(), 'data', 'datanets', 'elements', '01-marie.txt'), 'utf8');
    const output = `${vint.split('\n\n')[4]} And: ${marie.split('\n\n')[7]}`;
    const t = await trace(c, { output, model: seeded.model.version, evidence: true });
    assert.equal(t.weights.length, 2);
    const evidence = fromHex(t.evidence as Hex);
    const traced = await cli(['attribution', 'trace', output, '--model', `${seeded.model.id}@1`, ...rpc]);
    assert.equal(traced.code, 0, traced.stderr);
    const names = new Map(demoContributors(loadManifest()).map((x) => [x.address.toLowerCase(), x.name]));
    assert.match(traced.stdout, new RegExp(names.get(t.weights[0]!.contributor.toLowerCase())!));
    assert.match(traced.stdout, /\[1: /);

    const asJson = await cli([
      'attribution',
      'trace',
      output,
      '--model',
      seeded.model.version,
      ...rpc,
      '--json',
    ]);
    assert.equal(asJson.json.evidenceHash, t.evidenceHash, 'the CLI and the SDK trace the same evidence');
    const evidenceFile = join(home, 'evidence.bin');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(evidenceFile, evidence);
    const fromFile = await cli(['attribution', 'verify', evidenceFile, ...rpc]);
    assert.equal(fromFile.code, 0, fromFile.stdout + fromFile.stderr);
    const indexed = await cli(['attribution', 'index', '--check', ...rpc, '--json']);
    assert.equal(indexed.code, 0, indexed.stderr);
    assert.deepEqual(indexed.json.problems, []);
    assert.equal(
      indexed.json.datanets.every((d: any) => d.indexedVersions === d.chainVersions),
      true,
    );

    // bad input: clear errors
    const noPins = await cli(['attribution', 'trace', 'some text', ...rpc]);
    assert.equal(noPins.code, 1);
    assert.match(noPins.stderr, /--model|--datanet/);
    const future = await cli([
      'attribution',
      'trace',
      'x',
      '--datanet',
      `${seeded.datanets[0]!.id}@99`,
      ...rpc,
    ]);
    assert.equal(future.code, 1);
    assert.match(future.stderr, /has versions 1 to \d+, not 99/);
    const empty = await cli(['attribution', 'trace', '--datanet', `${seeded.datanets[0]!.id}@1`, ...rpc]);
    assert.equal(empty.code, 1);

    // the curator's copy report: a file copying one of vint's rows, pending in the same Datanet
    const computing = seeded.datanets.find((d) => d.name === 'computing')!;
    const copyFile = join(home, 'copy.md');
    await writeFile(
      copyFile,
      `${vint.split('\n\n')[20]}\n\nA row of my own about nothing in particular at all.`,
    );
    const contributed = await cli([
      'datanet',
      'contribute',
      computing.id,
      copyFile,
      '--from',
      'carol',
      ...rpc,
      '--json',
    ]);
    assert.equal(contributed.code, 0, contributed.stderr);
    const contribution = contributed.json.events
      .find((e: any) => e.type === 'datanets.contributed')
      .attributes.find((a: string[]) => a[0] === 'contribution')[1];
    const report = await cli(['datanet', 'copy-report', contribution, ...rpc, '--json']);
    assert.equal(report.code, 0, report.stderr);
    assert.equal(report.json.comparedWithVersion, computing.versions);
    assert.ok(report.json.copiedPpm > 500_000, `copied ${report.json.copiedPpm} ppm`);
    assert.equal(names.get(report.json.byContributor[0].contributor.toLowerCase()), 'vint');
    // once approved, the node indexes the new version as a segment of its own; the report of an
    // approved contribution compares it with the version before it
    assert.equal((await cli(['datanet', 'approve', contribution, '--from', 'alice', ...rpc])).code, 0);
    await devnet.attribution.idle();
    const status = await devnet.attribution.status();
    const comp = status.tokenizers[0]!.datanets.find((d) => d.id === computing.id)!;
    assert.equal(comp.indexedVersions, computing.versions + 1);
    assert.equal(comp.segments.length >= 1, true);
    const after = await cli(['datanet', 'copy-report', contribution, ...rpc, '--json']);
    assert.equal(after.json.status, 'approved');
    assert.equal(after.json.comparedWithVersion, computing.versions);
    assert.equal(after.json.copiedTokens, report.json.copiedTokens);
    const copied = await trace(c, {
      output: vint.split('\n\n')[20]!,
      pins: [{ datanet: computing.id, version: computing.versions + 1 }],
    });
    assert.equal(
      names.get(copied.weights[0]!.contributor.toLowerCase()),
      'vint',
      'the earlier row keeps the credit',
    );

    await uploadBlob({ url: devnet.rpc.url, bytes: evidence, kind: 'evidence' });
    const payer = privateKeySigner(demoKey('dave'));
    const operator = privateKeySigner(demoKey('operator'));
    assert.equal(
      (
        await (
          await c.send(payer, 'FundEscrow', { amount: 100n * OPEN, operators: [operator.address] })
        ).wait()
      ).status,
      'ok',
    );
    const head = await c.chainInfo();
    let n = 0;
    /** Settles a receipt of this evidence; `weights` overrides the evidence's (a false receipt). */
    const settle = async (weights?: { contributor: string; ppm: bigint }[]) => {
      const requestId = toHex(keccak256(utf8(`e2e request ${n++}`)));
      const voucher = {
        payer: payer.address,
        operator: operator.address,
        modelVersion: seeded.model!.version,
        requestId,
        maxInputTokens: 1_000n,
        maxOutputTokens: 1_000n,
        maxFee: 10n * OPEN,
        expiry: BigInt(head.time) + 250n,
      };
      const usage = {
        payer: payer.address,
        requestId,
        modelVersion: seeded.model!.version,
        promptHash: toHex(sha256(utf8('prompt'))),
        outputHash: toHex(sha256(utf8(output))),
        inputTokens: 12n,
        outputTokens: BigInt(t.outputTokens),
        evidenceHash: t.evidenceHash,
      };
      const receipt = {
        ...voucher,
        voucherSignature: signVoucher(head.chainId, voucher, demoKey('dave')),
        ...usage,
        usageSignature: signUsage(head.chainId, usage, demoKey('operator')),
        weights: weights ?? t.weights.map((w) => ({ contributor: w.contributor, ppm: BigInt(w.ppm) })),
        fallbackPpm: weights ? 0n : BigInt(t.fallbackPpm),
      };
      const r = await (await c.send(operator, 'SettleInference', { receipts: [receipt] })).wait();
      const result = r.events.find((e) => e.type === 'settlement.receipt')!;
      assert.equal(Object.fromEntries(result.attributes).status, 'ok', JSON.stringify(result.attributes));
      return toHex(hashVoucher(head.chainId, voucher));
    };

    // an honest receipt verifies, and there is nothing to challenge
    const honest = await settle();
    const ok = await cli(['attribution', 'verify', honest, ...rpc]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK: the evidence/);
    const nothing = await cli(['attribution', 'challenge', honest, '--from', 'erin', ...rpc]);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stdout, /nothing to challenge/);

    // a false receipt: everything credited to the second contributor
    const wrong = await settle([{ contributor: t.weights[1]!.contributor, ppm: 1_000_000n }]);
    const verified = await cli(['attribution', 'verify', wrong, ...rpc, '--json']);
    assert.equal(verified.code, 1);
    assert.match(verified.json.differences.join('\n'), /receipt's weights/);
    const stored = await c.query<{ contributorsPool: string }>('settlement.receipt', { id: wrong });
    const first = t.weights[0]!.contributor;
    const claimable = async (who: string) =>
      BigInt((await c.query<{ balance: string }>('settlement.claimable', { address: who })).balance);
    const firstBefore = await claimable(first);
    const erinBefore = (await c.getBalance(addressOf('erin'))).balance;

    const challenged = await cli(['attribution', 'challenge', wrong, '--from', 'erin', ...rpc, '--json']);
    assert.equal(challenged.code, 0, challenged.stdout + challenged.stderr);
    assert.equal(challenged.json.outcome, 'proven');
    const p = challenged.json.proven as Record<string, string>;
    const slash = (OPERATOR_GENESIS_BOND * 1_000n) / 10_000n;
    assert.equal(BigInt(p.slashed!), slash);
    const bondAfter = (
      await c.query<{ bonded: string }>('settlement.operator', { address: addressOf('operator') })
    ).bonded;
    assert.equal(BigInt(bondAfter), OPERATOR_GENESIS_BOND - slash, 'the operator is slashed');
    const pool = BigInt(stored.contributorsPool);
    const firstDue = (pool * BigInt(t.weights[0]!.ppm)) / 1_000_000n;
    assert.equal(await claimable(first), firstBefore + firstDue, 'the wronged contributor is re-credited');
    const shown = await cli(['rewards', 'show', names.get(first.toLowerCase())!, ...rpc, '--json']);
    assert.equal(shown.code, 0, shown.stderr); // demo contributors are known by name
    assert.equal(BigInt(shown.json.balance), firstBefore + firstDue);
    const reward = ((slash - BigInt(p.recredited!)) * 5_000n) / 10_000n;
    assert.equal(BigInt(p.reward!), reward);
    const gas = BigInt(challenged.json.gasUsed) * BigInt(challenged.json.gasPrice);
    assert.equal(
      (await c.getBalance(addressOf('erin'))).balance,
      erinBefore - gas + reward,
      'the challenger is paid',
    );
    const listed = await c.query<{ proven: boolean; challenger: string }[]>('challenges.byReceipt', {
      receipt: wrong,
    });
    assert.deepEqual(
      listed.map((x) => [x.proven, x.challenger]),
      [[true, addressOf('erin')]],
    );

    // the payer's token-count challenge of the honest receipt: it claimed 12 input tokens for "prompt"
    await writeFile(join(home, 'prompt.txt'), 'prompt');
    await writeFile(join(home, 'output.txt'), output);
    const refundBefore = await claimable(payer.address);
    const counted = await cli([
      'attribution',
      'challenge',
      honest,
      '--prompt-file',
      join(home, 'prompt.txt'),
      '--output-file',
      join(home, 'output.txt'),
      '--from',
      'dave',
      ...rpc,
      '--json',
    ]);
    assert.equal(counted.code, 0, counted.stdout + counted.stderr);
    assert.equal(counted.json.outcome, 'proven');
    assert.match(counted.json.proven.reason, /recounted \d+ in/);
    assert.ok((await claimable(payer.address)) > refundBefore, 'the payer is refunded');
  } finally {
    await devnet.stop();
    delete process.env.OPENLEDGER_HOME;
    await rm(home, { recursive: true, force: true });
  }
});
