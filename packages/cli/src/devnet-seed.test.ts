import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatanetRows, splitRowBytes } from '@openledger/attribution/rules';
import { OpenLedgerClient, trace } from '@openledger/sdk';
import { startDevnet } from './commands/node.js';
import { demoContributors, loadManifest, repoRoot } from './devnet-config.js';

type Version = { version: string; root: string; contributor: string; approvalHeight: string };

async function roots(url: string): Promise<Record<string, string[]>> {
  const c = new OpenLedgerClient(url);
  const out: Record<string, string[]> = {};
  for (const d of await c.query<{ id: string; name: string }[]>('datanets.list', {})) {
    out[d.name] = (await c.query<Version[]>('datanets.versions', { datanet: d.id })).map((v) => v.root);
  }
  return out;
}

test('every fresh devnet seeds the same Datanet version roots; restarts keep them and the index', async () => {
  const home = await mkdtemp(join(tmpdir(), 'ol-seed-'));
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  try {
    const a = await startDevnet({
      dataDir: join(home, 'a'),
      port: 0,
      blockIntervalMs: 100,
      adapter: null,
      log,
    });
    let rootsA: Record<string, string[]>;
    try {
      assert.ok(a.seeded, 'a fresh devnet is seeded');
      assert.ok(a.seeded.ms < 15_000, `seeding took ${a.seeded.ms} ms`);
      assert.match(lines.join('\n'), /registering the tokenizer/);
      assert.match(lines.join('\n'), /seeded in \d+ ms/);
      rootsA = await roots(a.rpc.url);
      // the roots are those the fixed row and version rules give for the shipped files, in manifest order
      const manifest = loadManifest()!;
      const contributors = new Map(demoContributors(manifest).map((x) => [x.name, x.address]));
      for (const d of manifest.datanets) {
        const rows = new DatanetRows(`0x${'00'.repeat(32)}`);
        const want = d.files.map((f, i) => {
          const bytes = readFileSync(join(repoRoot(), 'data', 'datanets', f.file));
          rows.approve(contributors.get(f.contributor)!, splitRowBytes(bytes), 1n);
          return `0x${Buffer.from(rows.root(i + 1)).toString('hex')}`;
        });
        assert.deepEqual(rootsA[d.name], want, `${d.name} roots`);
      }
      // the node's index has every version, and traces the demo data out of the box
      const status = await a.attribution.status();
      for (const d of status.tokenizers[0]!.datanets) assert.equal(d.indexedVersions, d.chainVersions);
      const ada = readFileSync(join(repoRoot(), 'data', 'datanets', 'computing', '01-ada.txt'), 'utf8');
      const row = ada.split('\n\n')[7]!;
      const c = new OpenLedgerClient(a.rpc.url);
      const pins = a.seeded.datanets.map((d) => ({ datanet: d.id, version: d.versions }));
      const t = await trace(c, { output: `Here it is. ${row} That is all.`, pins });
      assert.equal(t.spans.length >= 1, true);
      assert.equal(t.weights[0]!.contributor.toLowerCase(), contributors.get('ada')!.toLowerCase());
      assert.equal(t.outputText.slice(t.spans[0]!.charStart, t.spans[0]!.charEnd), t.spans[0]!.text);
    } finally {
      await a.stop();
    }

    const b = await startDevnet({
      dataDir: join(home, 'b'),
      port: 0,
      blockIntervalMs: 100,
      adapter: null,
      log,
    });
    try {
      assert.deepEqual(await roots(b.rpc.url), rootsA, 'two fresh devnets end with the same roots');
    } finally {
      await b.stop();
    }

    // a restart does not seed again; the index is still there
    const again = await startDevnet({
      dataDir: join(home, 'a'),
      port: 0,
      blockIntervalMs: 100,
      adapter: null,
      log,
    });
    try {
      assert.equal(again.seeded, undefined);
      assert.deepEqual(await roots(again.rpc.url), rootsA);
      await again.attribution.idle();
      const status = await again.attribution.status();
      assert.equal(status.lastError, null);
      for (const d of status.tokenizers[0]!.datanets) assert.equal(d.indexedVersions, d.chainVersions);
    } finally {
      await again.stop();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
