import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { rowsRoot, splitRowBytes } from '@openledger/attribution/rules';
import { type GenesisConfig, signTransaction } from '@openledger/chain';
import { type Hex, keccak256, OPEN, privateKeyToAddress, sha256, toHex, utf8 } from '@openledger/core';
import { defaultTokenizerPath } from '@openledger/tokenizer';
import { AttributionService } from './attribution-service.js';
import { attachBlobStore } from './blob-service.js';
import { BlobStore } from './blob-store.js';
import { rpcCall } from './follower.js';
import { Node } from './node.js';
import { startRpcServer } from './rpc-server.js';

const KEYS = [0, 1, 2].map((i) => toHex(keccak256(utf8(`attribution service test key ${i}`)))) as [
  Hex,
  Hex,
  Hex,
];
const [seq, alice, bob] = KEYS.map((k) => privateKeyToAddress(k));
const CHAIN = 4244n;

const ROWS = {
  alice:
    'Ethernet: a family of wired computer networking technologies for local area networks, first standardised in 1983 as IEEE 802.3.\n\nA second row of alice about the weather in the mountains during the long winter months.',
  bob: 'Photosynthesis: the process by which green plants and some other organisms use sunlight to synthesize foods from carbon dioxide and water.',
};

function genesis(): GenesisConfig {
  return {
    chainId: CHAIN,
    genesisTime: 1_700_000_000n,
    sequencer: seq!,
    accounts: [seq!, alice!, bob!].map((address) => ({ address, balance: 1_000_000n * OPEN })),
  };
}

test('the node indexes approvals as they commit and serves ol_trace, ol_copyReport, ol_verifyEvidence, ol_attributionStatus', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ol-attr-svc-'));
  let t = 1_700_000_000n;
  const node = await Node.open({ genesis: genesis(), sequencerKey: KEYS[0], now: () => ++t });
  const blobs = await BlobStore.open(join(dir, 'blobs'));
  const service = attachBlobStore(node, blobs);
  const attribution = new AttributionService(node, blobs, { dir: join(dir, 'index'), durable: false });
  const server = await startRpcServer(node, {
    port: 0,
    routes: service.routes,
    methods: { ...service.methods, ...attribution.methods() },
  });
  const rpc = (method: string, params: unknown[]) => rpcCall(server.url, method, params);
  const nonces = new Map<string, bigint>();
  const send = async (key: Hex, kind: string, fields: Record<string, unknown>) => {
    const from = privateKeyToAddress(key);
    const nonce = nonces.get(from) ?? 0n;
    const tx = signTransaction(
      node.app.registry,
      CHAIN,
      kind,
      { ...fields, from, nonce, gasLimit: 10_000_000n, gasPrice: 1_000_000_000n },
      key,
    );
    const hash = await node.submit(node.app.registry.encodeTx(tx));
    nonces.set(from, nonce + 1n);
    const block = await node.produceBlock();
    const r = block.receipts.find((x) => x.txHash === hash)!;
    assert.equal(r.status, 'ok', `${kind}: ${r.code} ${r.error}`);
    return r;
  };
  const attr = (r: { events: { type: string; attributes: [string, string][] }[] }, type: string, k: string) =>
    r.events.find((e) => e.type === type)!.attributes.find(([x]) => x === k)![1];
  const contribute = async (key: Hex, datanet: string, text: string) => {
    const bytes = utf8(text);
    await blobs.putBytes(bytes, { kind: 'contribution', name: 'rows.txt', height: node.height });
    const rows = splitRowBytes(bytes);
    const r = await send(key, 'Contribute', {
      datanet,
      blobHash: toHex(sha256(bytes)),
      size: BigInt(bytes.length),
      rowCount: BigInt(rows.length),
      rowsRoot: toHex(rowsRoot(rows)),
    });
    return attr(r, 'datanets.contributed', 'contribution');
  };
  try {
    const status0 = (await rpc('ol_attributionStatus', [])) as { tokenizers: unknown[] };
    assert.deepEqual(status0.tokenizers, [], 'nothing to index before a tokenizer is registered');
    await assert.rejects(
      rpc('ol_trace', [{ output: 'x', pins: [] }]),
      /give a model version or Datanet pins/,
    );

    await send(KEYS[1], 'RegisterTokenizer', { vocabulary: toHex(readFileSync(defaultTokenizerPath())) });
    const created = await send(KEYS[1], 'CreateDatanet', {
      name: 'glossary',
      summary: '',
      description: '',
      tags: [],
      visibility: 'public',
      license: 'CC0',
      curators: [],
      trainingFee: 0n,
      contributorBond: 0n,
      allowList: [],
    });
    const datanet = attr(created, 'datanets.created', 'datanet');
    await send(KEYS[1], 'ApproveContribution', {
      contribution: await contribute(KEYS[1], datanet, ROWS.alice),
    });
    await send(KEYS[1], 'ApproveContribution', {
      contribution: await contribute(KEYS[2], datanet, ROWS.bob),
    });
    await attribution.idle();
    type Status = {
      lastError: string | null;
      tokenizers: { datanets: { indexedVersions: number; tokens: number }[] }[];
    };
    const status = (await rpc('ol_attributionStatus', [])) as Status;
    assert.equal(status.lastError, null);
    assert.equal(
      status.tokenizers[0]!.datanets[0]!.indexedVersions,
      2,
      'both approvals indexed as they committed',
    );

    const output = `In brief, ${ROWS.alice.split('\n\n')[0]} Also: ${ROWS.bob}`;
    type Trace = {
      spans: { contributor: string; charStart: number; charEnd: number; text: string; datanetName: string }[];
      weights: { contributor: string; ppm: number }[];
      evidenceHash: string;
      evidence?: string;
      outputText: string;
    };
    const tr = (await rpc('ol_trace', [
      { output, pins: [{ datanet, version: 2 }], evidence: true },
    ])) as Trace;
    assert.deepEqual(
      tr.spans.map((s) => s.contributor).sort(),
      [alice!.toLowerCase(), bob!.toLowerCase()].sort(),
    );
    for (const s of tr.spans) assert.equal(tr.outputText.slice(s.charStart, s.charEnd), s.text);
    assert.equal(tr.spans[0]!.datanetName, 'glossary');
    assert.equal(toHex(sha256(Uint8Array.from(Buffer.from(tr.evidence!.slice(2), 'hex')))), tr.evidenceHash);
    // version 1 sees only alice's rows
    const v1 = (await rpc('ol_trace', [{ output, pins: [{ datanet, version: 1 }] }])) as Trace;
    assert.deepEqual(
      v1.weights.map((w) => w.contributor),
      [alice!.toLowerCase()],
    );
    const verified = (await rpc('ol_verifyEvidence', [tr.evidence])) as {
      ok: boolean;
      differences: string[];
    };
    assert.deepEqual(verified, { ok: true, evidenceHash: tr.evidenceHash, differences: [] });

    // a pending copy of bob's row: the copy report names bob's row
    const copy = await contribute(
      KEYS[1],
      datanet,
      `${ROWS.bob}\n\nSomething new entirely, written for this test only.`,
    );
    const report = (await rpc('ol_copyReport', [copy])) as {
      comparedWithVersion: number;
      copiedPpm: number;
      byContributor: { contributor: string; rows: { rowIndex: string }[] }[];
    };
    assert.equal(report.comparedWithVersion, 2);
    assert.ok(report.copiedPpm > 500_000);
    assert.equal(report.byContributor[0]!.contributor, bob!.toLowerCase());
    assert.deepEqual(report.byContributor[0]!.rows, [{ datanet, rowIndex: '2' }]);

    // bad input: clear errors
    const bad: [unknown[], RegExp][] = [
      [[{ output: 42, pins: [{ datanet, version: 1 }] }], /output must be a string or an array of token ids/],
      [[{ output: 'x', pins: [{ datanet: '0x12', version: 1 }] }], /pins\[0\]\.datanet/],
      [[{ output: 'x', pins: [{ datanet, version: 3 }] }], /has versions 1 to 2, not 3/],
      [[{ output: '', pins: [{ datanet, version: 1 }] }], /empty/],
      [[{ output: 'word '.repeat(5_000), pins: [{ datanet, version: 1 }] }], /at most 4096 can be traced/],
      [[{ output: 'x', model: '0x1234' }], /names no model version/],
      [[{ output: 'x', pins: [{ datanet: `0x${'ab'.repeat(32)}`, version: 1 }] }], /no Datanet/],
    ];
    for (const [params, message] of bad) await assert.rejects(rpc('ol_trace', params), message);
    await assert.rejects(rpc('ol_copyReport', ['0x12']), /contribution/);
    await assert.rejects(rpc('ol_verifyEvidence', ['0x00ff']), /evidence|decode|malformed/i);

    // a contribution whose blob this node lacks: the index cannot follow and says why
    const missing = utf8('A row whose blob is not on this node at all, so nothing can index it.');
    await blobs.putBytes(missing, { kind: 'contribution', name: 'gone.txt', height: node.height });
    const rows = splitRowBytes(missing);
    const r = await send(KEYS[2], 'Contribute', {
      datanet,
      blobHash: toHex(sha256(missing)),
      size: BigInt(missing.length),
      rowCount: BigInt(rows.length),
      rowsRoot: toHex(rowsRoot(rows)),
    });
    const lost = toHex(sha256(missing));
    await rm(join(dir, 'blobs', lost.slice(2, 4), lost.slice(2)), { force: true }); // the node loses the file
    await send(KEYS[1], 'ApproveContribution', {
      contribution: attr(r, 'datanets.contributed', 'contribution'),
    });
    await attribution.idle();
    const s = (await rpc('ol_attributionStatus', [])) as Status;
    assert.match(String(s.lastError), /not available/);
    await assert.rejects(
      rpc('ol_trace', [{ output: 'x y z', pins: [{ datanet, version: 3 }] }]),
      /version 3 of glossary is not indexed yet: .*not available/,
    );
    // earlier versions still answer
    assert.equal(
      ((await rpc('ol_trace', [{ output, pins: [{ datanet, version: 2 }] }])) as Trace).evidenceHash,
      tr.evidenceHash,
    );
  } finally {
    await server.close();
    await attribution.close();
    await node.close();
    await rm(dir, { recursive: true, force: true });
  }
});
