/**
 * Seeding a fresh devnet (DESIGN §6, issue 6 item 5): deterministically — fixed keys, fixed order — so
 * every fresh devnet ends with the same Datanet version roots. It registers the shipped tokenizer,
 * creates the demo Datanets of `data/datanets/manifest.json` (owned and curated by `alice`), uploads each
 * contributor's file to the node's blob store, submits one `Contribute` per file from that contributor's
 * fixed key and approves them in seeding order. When the engine's demo adapter is present in
 * `models/demo-adapter/`, the demo model (Approved at genesis) gets a Deployed version pinning the seeded
 * versions, served by the devnet's `operator` (bonded at genesis).
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { signTransaction, type TxReceipt } from '@openledger/chain';
import { type Address, BaseError, type Hex, privateKeyToAddress, sha256, toHex } from '@openledger/core';
import { type BlobStore, contributionRows, type Node } from '@openledger/node';
import { defaultTokenizerPath } from '@openledger/tokenizer';
import {
  DEMO_MODEL,
  type DemoAdapter,
  type DemoContributor,
  demoContributors,
  demoKey,
  findDemoAdapter,
  loadManifest,
  repoRoot,
} from './devnet-config.js';

export class SeedError extends BaseError {
  override name = 'SeedError';
}

export type SeedOptions = {
  /** The repository's `data/` (default: beside this package). */
  dataDir?: string;
  /** The demo adapter (default: `models/demo-adapter/` when its files exist). */
  adapter?: DemoAdapter;
  /** The engine's CHAT_TEMPLATE_HASH (default: loaded from the engine when the adapter is seeded). */
  chatTemplateHash?: string;
  log?: (line: string) => void;
};

export type SeedResult = {
  tokenizer: Hex;
  datanets: { name: string; id: Hex; versions: number; rows: number; root: Hex }[];
  contributors: DemoContributor[];
  model?: { id: Hex; version: Hex; number: number };
  blocks: number;
  ms: number;
};

/**
 * Seeds a fresh devnet node (height 1) before block production starts: it produces the blocks itself.
 * Refuses a node that already has blocks.
 */
export async function seedDevnet(node: Node, blobs: BlobStore, opts: SeedOptions = {}): Promise<SeedResult> {
  const started = performance.now();
  const log = opts.log ?? (() => {});
  if (node.height !== 1) {
    throw new SeedError(
      'ALREADY_STARTED',
      `the devnet is at height ${node.height}; only a fresh one is seeded`,
    );
  }
  const dataDir = opts.dataDir ?? join(repoRoot(), 'data');
  const manifest = loadManifest(dataDir);
  if (!manifest) throw new SeedError('NO_MANIFEST', `no ${join(dataDir, 'datanets', 'manifest.json')}`);
  const contributors = demoContributors(manifest);
  const keyOf = new Map(contributors.map((c) => [c.name, c.privateKey]));
  const alice = demoKey('alice');
  const app = node.app;
  const state = () => node.store.latest();
  const gasPrice = await app.keepers.params.read(state(), 'auth', 'minGasPrice');
  const nonces = new Map<Address, bigint>();
  let blocks = 0;
  const queue: { kind: string; hash: Hex }[] = [];

  const send = async (key: Hex, kind: string, fields: Record<string, unknown>, gasLimit: bigint) => {
    const from = privateKeyToAddress(key);
    const nonce = nonces.get(from) ?? (await node.nonceOf(from));
    nonces.set(from, nonce + 1n);
    const tx = signTransaction(
      app.registry,
      node.chainId,
      kind,
      { ...fields, from, nonce, gasLimit, gasPrice },
      key,
    );
    queue.push({ kind, hash: await node.submit(app.registry.encodeTx(tx)) });
  };
  /** Produces one block holding everything queued; every transaction must succeed. */
  const block = async (): Promise<TxReceipt[]> => {
    const b = await node.produceBlock();
    blocks++;
    const byHash = new Map(b.receipts.map((r) => [r.txHash, r]));
    const receipts = queue.map((q) => {
      const r = byHash.get(q.hash);
      if (!r) throw new SeedError('SEED_FAILED', `seeding: ${q.kind} ${q.hash} was not included`);
      if (r.status !== 'ok')
        throw new SeedError('SEED_FAILED', `seeding: ${q.kind} failed: ${r.code} ${r.error}`);
      return r;
    });
    queue.length = 0;
    return receipts;
  };
  const attr = (r: TxReceipt, type: string, key: string): string => {
    const v = r.events.find((e) => e.type === type)?.attributes.find(([k]) => k === key)?.[1];
    if (v === undefined) throw new SeedError('SEED_FAILED', `seeding: no ${type}.${key} event`);
    return v;
  };

  // 1. the tokenizer and the Datanets (alice owns and curates them)
  const vocabulary = readFileSync(defaultTokenizerPath());
  log(`registering the tokenizer (${vocabulary.length} bytes) and ${manifest.datanets.length} Datanets`);
  await send(alice, 'RegisterTokenizer', { vocabulary: toHex(vocabulary) }, 10_000_000n);
  for (const d of manifest.datanets) {
    await send(
      alice,
      'CreateDatanet',
      {
        name: d.name,
        summary: d.summary,
        description: `# ${d.name}\n\n${d.summary}\n\nSource: ${d.source ?? 'see data/LICENSES.md'}\n\nLicense: ${d.license ?? ''}\n`,
        tags: ['demo', d.name],
        visibility: 'public',
        license: d.license ?? '',
        curators: [],
        trainingFee: 0n,
        contributorBond: 0n,
        allowList: [],
      },
      1_000_000n,
    );
  }
  const created = await block();
  const tokenizer = attr(created[0]!, 'models.tokenizerRegistered', 'hash') as Hex;
  const datanetIds = created.slice(1).map((r) => attr(r, 'datanets.created', 'datanet') as Hex);

  // 2. every contributor's file: blob store, then Contribute (one per file, from its contributor)
  let files = 0;
  let bytesTotal = 0;
  for (const [i, d] of manifest.datanets.entries()) {
    for (const f of d.files) {
      const bytes = new Uint8Array(readFileSync(join(dataDir, 'datanets', f.file)));
      const blobHash = toHex(sha256(bytes));
      if (blobHash.slice(2) !== f.sha256) {
        throw new SeedError('DATA_CHANGED', `${f.file} does not match the manifest's sha256 (${f.sha256})`, {
          metaMessages: ['Re-run scripts/extract-data.mjs, or restore the file from git.'],
        });
      }
      const rows = contributionRows(bytes, basename(f.file));
      await blobs.putBytes(bytes, { kind: 'contribution', name: basename(f.file), height: node.height });
      const key = keyOf.get(f.contributor)!;
      await send(
        key,
        'Contribute',
        {
          datanet: datanetIds[i]!,
          blobHash,
          size: BigInt(bytes.length),
          rowCount: BigInt(rows.rowCount),
          rowsRoot: rows.rowsRoot,
        },
        1_000_000n + 40n * BigInt(bytes.length),
      );
      files++;
      bytesTotal += bytes.length;
    }
  }
  log(
    `contributing ${files} files (${Math.round(bytesTotal / 1024)} KB) from ${contributors.length} contributors`,
  );
  const contributed = await block();

  // 3. approvals in seeding order, by the curator
  for (const r of contributed)
    await send(
      alice,
      'ApproveContribution',
      { contribution: attr(r, 'datanets.contributed', 'contribution') },
      1_000_000n,
    );
  const approved = await block();
  const datanets = manifest.datanets.map((d, i) => {
    const last = approved.filter((r) => attr(r, 'datanets.approved', 'datanet') === datanetIds[i]).at(-1)!;
    return {
      name: d.name,
      id: datanetIds[i]!,
      versions: Number(attr(last, 'datanets.approved', 'version')),
      rows:
        Number(attr(last, 'datanets.approved', 'firstRow')) +
        Number(attr(last, 'datanets.approved', 'rowCount')),
      root: attr(last, 'datanets.approved', 'root') as Hex,
    };
  });
  log(
    `approved ${approved.length} contributions: ${datanets.map((d) => `${d.name} v${d.versions} (${d.rows} rows)`).join(', ')}`,
  );

  // 4. the demo model, when the engine's adapter is there
  let model: SeedResult['model'];
  const adapter = opts.adapter ?? findDemoAdapter();
  if (adapter) {
    model = await seedDemoModel(
      node,
      blobs,
      adapter,
      datanets,
      tokenizer,
      opts.chatTemplateHash,
      send,
      block,
      attr,
    );
    log(`deployed the demo model ${model.id} version ${model.number} (${model.version})`);
  }
  return {
    tokenizer,
    datanets,
    contributors,
    ...(model ? { model } : {}),
    blocks,
    ms: Math.round(performance.now() - started),
  };
}

async function seedDemoModel(
  node: Node,
  blobs: BlobStore,
  adapter: DemoAdapter,
  datanets: SeedResult['datanets'],
  tokenizer: Hex,
  chatTemplateHash: string | undefined,
  send: (key: Hex, kind: string, fields: Record<string, unknown>, gasLimit: bigint) => Promise<void>,
  block: () => Promise<TxReceipt[]>,
  attr: (r: TxReceipt, type: string, key: string) => string,
): Promise<NonNullable<SeedResult['model']>> {
  const models = (await node.app.query({ state: node.store.latest(), height: node.height }, 'models.list', {
    stage: 'Approved',
  })) as { id: Hex; name: string }[];
  const demo = models.find((m) => m.name === DEMO_MODEL.name);
  if (!demo) {
    throw new SeedError('NO_DEMO_MODEL', `the genesis has no Approved model "${DEMO_MODEL.name}"`, {
      metaMessages: ['The demo adapter appeared after this devnet was created: start it with --reset.'],
    });
  }
  let template = chatTemplateHash;
  if (template === undefined) template = (await import('@openledger/engine')).CHAT_TEMPLATE_HASH;
  const templateHash = (template.startsWith('0x') ? template : `0x${template}`) as Hex;
  const owner = demoKey(DEMO_MODEL.owner);
  const stored = await blobs.putBytes(adapter.adapter, {
    kind: 'adapter',
    name: 'adapter_model.safetensors',
    height: node.height,
  });
  for (const d of datanets)
    await send(
      owner,
      'BuyTrainingLicence',
      { model: demo.id, datanet: d.id, version: BigInt(d.versions) },
      2_000_000n,
    );
  await send(
    owner,
    'PublishModelVersion',
    {
      model: demo.id,
      adapterHash: stored.hash,
      datanets: datanets.map((d) => ({ datanet: d.id, version: BigInt(d.versions) })),
      trainingConfigHash: toHex(sha256(adapter.config)),
      tokenizerHash: tokenizer,
      chatTemplateHash: templateHash,
      evaluation: [],
      rateInPer1k: DEMO_MODEL.rateInPer1k,
      rateOutPer1k: DEMO_MODEL.rateOutPer1k,
      operators: [privateKeyToAddress(demoKey('operator'))],
      operatorShareBps: DEMO_MODEL.operatorShareBps,
    },
    3_000_000n,
  );
  const published = (await block()).at(-1)!;
  const version = attr(published, 'models.published', 'version') as Hex;
  await send(owner, 'DeployModelVersion', { version }, 2_000_000n);
  await block();
  return { id: demo.id, version, number: Number(attr(published, 'models.published', 'number')) };
}
