import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyRowProof } from '@openledger/attribution/rules';
import { type GenesisConfig, signTransaction } from '@openledger/chain';
import { fromHex, type Hex, keccak256, OPEN, privateKeyToAddress, toHex, utf8 } from '@openledger/core';
import { attachBlobStore } from './blob-service.js';
import { BlobStore } from './blob-store.js';
import { rpcCall } from './follower.js';
import { Node } from './node.js';
import { startRpcServer } from './rpc-server.js';

const KEYS = [0, 1].map((i) => toHex(keccak256(utf8(`blob service test key ${i}`)))) as [Hex, Hex];
const [seq, alice] = KEYS.map((k) => privateKeyToAddress(k));

function genesis(): GenesisConfig {
  return {
    chainId: 4243n,
    genesisTime: 1_700_000_000n,
    sequencer: seq!,
    accounts: [
      { address: seq!, balance: 1_000_000n * OPEN },
      { address: alice!, balance: 1_000_000n * OPEN },
    ],
  };
}

test('uploads, mempool blob checks, downloads, rate limit and row proofs through a node', async () => {
  let t = 1_700_000_000n;
  const node = await Node.open({ genesis: genesis(), sequencerKey: KEYS[0], now: () => ++t });
  const store = await BlobStore.open(undefined);
  const service = attachBlobStore(node, store, { uploadsPerMinute: 5 });
  const server = await startRpcServer(node, { port: 0, routes: service.routes, methods: service.methods });
  const nonces = new Map<string, bigint>();
  const send = async (key: Hex, kind: string, fields: Record<string, unknown>) => {
    const from = privateKeyToAddress(key);
    const nonce = nonces.get(from) ?? 0n;
    const tx = signTransaction(
      node.app.registry,
      4243n,
      kind,
      { ...fields, from, nonce, gasLimit: 5_000_000n, gasPrice: 1_000_000_000n },
      key,
    );
    const hash = await node.submit(node.app.registry.encodeTx(tx));
    nonces.set(from, nonce + 1n);
    const block = await node.produceBlock();
    const r = block.receipts.find((x) => x.txHash === hash)!;
    assert.equal(r.status, 'ok', `${kind}: ${r.code} ${r.error}`);
    return r;
  };
  try {
    const created = await send(KEYS[0], 'CreateDatanet', {
      name: 'n',
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
    const datanet = created.events.find((e) => e.type === 'datanets.created')!.attributes[0]![1] as Hex;
    const upload = (body: Uint8Array, query = 'kind=contribution&name=rows.md') =>
      fetch(`${server.url}/blobs?${query}`, { method: 'POST', body });
    const text = utf8('Row one.\n\nRow two.\n\nRow three.');
    const res = await upload(text);
    assert.equal(res.status, 201);
    const meta = (await res.json()) as { hash: Hex; size: number; rowCount: number; rowsRoot: Hex };
    assert.equal(meta.rowCount, 3);
    const bad = await upload(new Uint8Array([0xc3, 0x28]));
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'INVALID_UTF8');

    const contribute = (fields: Record<string, unknown>) => {
      const tx = signTransaction(
        node.app.registry,
        4243n,
        'Contribute',
        {
          datanet,
          blobHash: meta.hash,
          size: BigInt(meta.size),
          rowCount: 3n,
          rowsRoot: meta.rowsRoot,
          ...fields,
          from: alice!,
          nonce: nonces.get(alice!) ?? 0n,
          gasLimit: 5_000_000n,
          gasPrice: 1_000_000_000n,
        },
        KEYS[1],
      );
      return node.submit(node.app.registry.encodeTx(tx));
    };
    await assert.rejects(
      contribute({ rowsRoot: toHex(new Uint8Array(32).fill(7)) }),
      (e: { code?: string }) => e.code === 'BLOB_MISMATCH',
    );
    await assert.rejects(contribute({ rowCount: 4n }), (e: { code?: string }) => e.code === 'BLOB_MISMATCH');
    await assert.rejects(
      contribute({ blobHash: toHex(new Uint8Array(32).fill(9)) }),
      (e: { code?: string }) => e.code === 'BLOB_MISSING',
    );
    assert.equal(node.mempool.size, 0);
    const r = await send(KEYS[1], 'Contribute', {
      datanet,
      blobHash: meta.hash,
      size: BigInt(meta.size),
      rowCount: 3n,
      rowsRoot: meta.rowsRoot,
    });
    const contribution = r.events
      .find((e) => e.type === 'datanets.contributed')!
      .attributes.find(([k]) => k === 'contribution')![1];
    await send(KEYS[0], 'ApproveContribution', { contribution });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(store.meta(meta.hash)!.referencedHeight > 0);

    const got = await fetch(`${server.url}/blobs/${meta.hash}`);
    assert.equal(got.status, 200);
    assert.deepEqual(new Uint8Array(await got.arrayBuffer()), text);
    assert.equal((await fetch(`${server.url}/blobs/0x${'ab'.repeat(32)}`)).status, 404);

    const proof = (await rpcCall(server.url, 'ol_rowProof', [datanet, 1, 1])) as {
      row: string;
      root: Hex;
      proof: {
        contributor: Hex;
        contributionVersion: string;
        firstRow: string;
        rowCount: string;
        rowPath: Hex[];
        versionPath: Hex[];
      };
    };
    assert.equal(proof.row, 'Row two.');
    assert.equal(
      verifyRowProof({
        row: proof.row,
        rowIndex: 1n,
        version: 1n,
        versionRoot: fromHex(proof.root),
        proof: {
          contributor: proof.proof.contributor,
          contributionVersion: BigInt(proof.proof.contributionVersion),
          firstRow: BigInt(proof.proof.firstRow),
          rowCount: BigInt(proof.proof.rowCount),
          rowPath: proof.proof.rowPath.map((h) => fromHex(h)),
          versionPath: proof.proof.versionPath.map((h) => fromHex(h)),
        },
      }),
      true,
    );
    const onChainRoot = (await rpcCall(server.url, 'ol_query', [
      'datanets.version',
      { datanet, version: 1 },
    ])) as { root: Hex };
    assert.equal(onChainRoot.root, proof.root);

    // settlement batches need their evidence blobs
    const z = toHex(new Uint8Array(32));
    const receipt = {
      payer: alice!,
      operator: seq!,
      modelVersion: z,
      requestId: z,
      maxInputTokens: 1n,
      maxOutputTokens: 1n,
      maxFee: 1n,
      expiry: 1n,
      voucherSignature: toHex(new Uint8Array(65)),
      promptHash: z,
      outputHash: z,
      inputTokens: 1n,
      outputTokens: 1n,
      evidenceHash: `0x${'ee'.repeat(32)}`,
      usageSignature: toHex(new Uint8Array(65)),
      weights: [],
      fallbackPpm: 1_000_000n,
    };
    const settle = signTransaction(
      node.app.registry,
      4243n,
      'SettleInference',
      {
        receipts: [receipt],
        from: seq!,
        nonce: nonces.get(seq!) ?? 0n,
        gasLimit: 1_000_000n,
        gasPrice: 1_000_000_000n,
      },
      KEYS[0],
    );
    await assert.rejects(
      node.submit(node.app.registry.encodeTx(settle)),
      (e: { code?: string }) => e.code === 'EVIDENCE_MISSING',
    );

    // per-IP rate limit: 5 per minute, 2 used above
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await upload(utf8(`extra ${i}`))).status);
    assert.deepEqual(statuses, [201, 201, 201, 429]);
    // over 5 MB is refused without reading it all
    const big = await fetch(`${server.url}/blobs?kind=other`, {
      method: 'POST',
      body: new Uint8Array(5_000_001),
    });
    assert.equal(big.status, 429); // still rate limited
  } finally {
    await server.close();
    await node.store.close();
  }
});

test('an upload over 5 MB is refused with 413', async () => {
  const node = await Node.open({ genesis: genesis(), sequencerKey: KEYS[0] });
  const store = await BlobStore.open(undefined);
  const service = attachBlobStore(node, store);
  const server = await startRpcServer(node, { port: 0, routes: service.routes, methods: service.methods });
  try {
    const big = await fetch(`${server.url}/blobs?kind=other`, {
      method: 'POST',
      body: new Uint8Array(5_000_001),
    });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'BLOB_TOO_LARGE');
    assert.equal(store.size, 0);
  } finally {
    await server.close();
    await node.store.close();
  }
});
