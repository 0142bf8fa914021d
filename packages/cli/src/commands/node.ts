import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BaseError, formatOpen, type Hex } from '@openledger/core';
import {
  AttributionService,
  attachBlobStore,
  BlobStore,
  BlockProducer,
  chainDatanets,
  Follower,
  genesisFromJson,
  Node,
  type RpcServer,
  rpcCall,
  startRpcServer,
} from '@openledger/node';
import type { ParsedArgs } from '../args.js';
import type { Command, Output } from '../command.js';
import { HELP_OPTION, JSON_OPTION, readPassword } from '../context.js';
import {
  type DemoAdapter,
  demoAccounts,
  demoContributors,
  demoKey,
  devnetGenesis,
  findDemoAdapter,
  loadManifest,
} from '../devnet-config.js';
import { type SeedResult, seedDevnet } from '../devnet-seed.js';
import { decryptKey, loadKeystore, openLedgerHome } from '../keystore.js';

const log = (line: string) => process.stderr.write(`[node] ${line}\n`);

type Served = { rpc: RpcServer; attribution: AttributionService; blobs: BlobStore };

/** Opens the node's blob store and attribution index (beside the database) and serves the RPC. */
async function listen(
  node: Node,
  port: number,
  host: string,
  dataDir?: string,
  prepared?: Services,
): Promise<Served> {
  const { blobs, attribution, service } = prepared ?? (await openServices(node, dataDir));
  void attribution.sync().catch(() => {}); // catch up with blocks committed while it was down
  try {
    const rpc = await startRpcServer(node, {
      port,
      host,
      log,
      routes: service.routes,
      methods: { ...service.methods, ...attribution.methods() },
    });
    return { rpc, attribution, blobs };
  } catch (e) {
    await attribution.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new BaseError('PORT_IN_USE', `port ${port} is already in use`, {
        metaMessages: ['Is a node already running? Stop it, or pick another port with --rpc-port.'],
      });
    }
    throw e;
  }
}

type Services = {
  blobs: BlobStore;
  attribution: AttributionService;
  service: ReturnType<typeof attachBlobStore>;
};

/** The blob store (`<data-dir>/blobs`, attached to the node) and the attribution index (`<data-dir>/attribution`). */
async function openServices(node: Node, dataDir?: string): Promise<Services> {
  const blobs = await BlobStore.open(dataDir ? join(dataDir, 'blobs') : undefined);
  const service = attachBlobStore(node, blobs, { log });
  const attribution = new AttributionService(node, blobs, {
    ...(dataDir ? { dir: join(dataDir, 'attribution') } : {}),
    log,
  });
  return { blobs, attribution, service };
}

/** Runs until SIGINT/SIGTERM, then shuts down in order (no block is cut in half: commits are atomic anyway). */
async function runUntilSignal(stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  process.stderr.write('\nstopping…\n');
  await stop();
}

const NODE_OPTIONS = [
  { name: 'data-dir', value: 'DIR', description: 'database directory (created if missing)' },
  { name: 'rpc-port', value: 'PORT', description: 'JSON-RPC port (HTTP and WebSocket /ws)', default: '8545' },
  { name: 'host', value: 'HOST', description: 'interface to listen on', default: '127.0.0.1' },
];

export const nodeCommand: Command = {
  name: 'node',
  summary: 'Run a node: the sequencer (with its key) or a follower of another node.',
  usage:
    'openledger node start --data-dir DIR [--rpc-port PORT] [--follow URL | --genesis FILE --sequencer-key NAME]',
  subcommands: [
    {
      name: 'start',
      summary:
        'Start a node. As sequencer it produces blocks; with --follow it syncs from a sequencer, re-executing and checking every block.',
      usage:
        'openledger node start --data-dir DIR [--rpc-port 8545] (--follow URL | --genesis FILE --sequencer-key NAME)',
      options: [
        ...NODE_OPTIONS,
        {
          name: 'follow',
          value: 'URL',
          description: 'follow the sequencer at URL (its genesis is fetched on first start)',
        },
        { name: 'genesis', value: 'FILE', description: 'genesis JSON for a new chain' },
        { name: 'sequencer-key', value: 'NAME', description: 'keystore name of the sequencer key' },
        { name: 'password-file', value: 'FILE', description: 'password of the sequencer keystore' },
        {
          name: 'block-interval',
          value: 'MS',
          description: 'block interval in milliseconds',
          default: '1000',
        },
        HELP_OPTION,
      ],
      async run(args) {
        const dataDir = args.options.get('data-dir');
        if (typeof dataDir !== 'string')
          throw new BaseError('MISSING_ARGUMENT', 'say where the database lives: --data-dir DIR');
        const follow = args.options.get('follow');
        const port = Number(args.options.get('rpc-port'));
        const host = String(args.options.get('host'));
        if (typeof follow === 'string') {
          const genesis = genesisFromJson(JSON.stringify(await rpcCall(follow, 'ol_getGenesis')));
          const node = await Node.open({ dataDir, genesis });
          const follower = new Follower(node, follow, { log });
          await follower.start();
          const { rpc, attribution } = await listen(node, port, host, dataDir);
          process.stdout.write(
            `following ${follow} at height ${node.height}\nRPC ${rpc.url}  WebSocket ${rpc.wsUrl}\n`,
          );
          node.on('syncError', (e) => process.stderr.write(`REFUSED: ${e.message}\n`));
          await runUntilSignal(async () => {
            await follower.stop();
            await rpc.close();
            await attribution.close();
            await node.close();
          });
          return;
        }
        const genesisFile = args.options.get('genesis');
        const genesis =
          typeof genesisFile === 'string' ? genesisFromJson(await readFile(genesisFile, 'utf8')) : undefined;
        const keyName = args.options.get('sequencer-key');
        let sequencerKey: Hex | undefined;
        if (typeof keyName === 'string') {
          const ks = await loadKeystore(keyName);
          if (!ks) throw new BaseError('UNKNOWN_KEY', `no key named "${keyName}"`);
          sequencerKey = await decryptKey(
            ks,
            await readPassword(args, `unlock the sequencer key "${keyName}"`),
          );
        }
        const node = await Node.open({
          dataDir,
          ...(genesis ? { genesis } : {}),
          ...(sequencerKey ? { sequencerKey } : {}),
        });
        const { rpc, attribution } = await listen(node, port, host, dataDir);
        const producer = sequencerKey
          ? new BlockProducer(node, Number(args.options.get('block-interval')), log)
          : undefined;
        producer?.start();
        process.stdout.write(
          `${producer ? 'sequencing' : 'serving (no key: not producing blocks)'} chain ${node.chainId} at height ${node.height}\nRPC ${rpc.url}  WebSocket ${rpc.wsUrl}\n`,
        );
        await runUntilSignal(async () => {
          await producer?.stop();
          await rpc.close();
          await attribution.close();
          await node.close();
        });
      },
    },
  ],
};

export type DevnetHandle = {
  node: Node;
  rpc: RpcServer;
  attribution: AttributionService;
  blobs: BlobStore;
  /** What seeding did on this start (undefined when the devnet was not fresh or seeding was off). */
  seeded?: SeedResult;
  stop(): Promise<void>;
};

export type StartDevnetOptions = {
  dataDir: string;
  port: number;
  host?: string;
  blockIntervalMs: number;
  /** Seed a fresh devnet with the demo Datanets, tokenizer and model (default true). */
  seed?: boolean;
  /** The repository's data/ directory (default: beside the packages). */
  dataRoot?: string;
  /** The demo adapter (default: models/demo-adapter/ when present; null: none). */
  adapter?: DemoAdapter | null;
  /** The chat template hash pinned by the demo model version (default: the engine's). */
  chatTemplateHash?: string;
  /** Seeding progress (default: stderr). */
  log?: (line: string) => void;
};

/**
 * Starts the devnet in-process: node + blob store + attribution index + RPC + block production (used by
 * `openledger devnet` and tests). A fresh data directory is seeded first (DESIGN §6).
 */
export async function startDevnet(opts: StartDevnetOptions): Promise<DevnetHandle> {
  await mkdir(opts.dataDir, { recursive: true });
  const seed = opts.seed ?? true;
  const adapter = seed
    ? opts.adapter === undefined
      ? findDemoAdapter()
      : (opts.adapter ?? undefined)
    : undefined;
  const manifest = loadManifest(opts.dataRoot);
  const sequencerKey = demoKey('sequencer');
  let node: Node;
  try {
    node = await Node.open({ dataDir: opts.dataDir, sequencerKey }); // an existing devnet keeps its genesis
  } catch (e) {
    if (!(e instanceof BaseError) || e.code !== 'NO_GENESIS') throw e;
    const genesis = devnetGenesis({
      contributors: demoContributors(manifest),
      demoModel: adapter !== undefined,
    });
    node = await Node.open({ dataDir: opts.dataDir, genesis, sequencerKey });
  }
  const seedLog = opts.log ?? ((line: string) => process.stderr.write(`[seed] ${line}\n`));
  let served: Served;
  let seeded: SeedResult | undefined;
  try {
    const services = await openServices(node, opts.dataDir);
    if (seed && node.height === 1 && manifest) {
      seeded = await seedDevnet(node, services.blobs, {
        ...(opts.dataRoot ? { dataDir: opts.dataRoot } : {}),
        ...(adapter ? { adapter } : {}),
        ...(opts.chatTemplateHash ? { chatTemplateHash: opts.chatTemplateHash } : {}),
        log: seedLog,
      });
      const t0 = performance.now();
      await services.attribution.sync();
      const tokens = (await services.attribution.status()).tokenizers[0]?.datanets.reduce(
        (s, d) => s + d.tokens,
        0,
      );
      seedLog(`indexed ${tokens ?? 0} tokens for attribution in ${Math.round(performance.now() - t0)} ms`);
      seeded.ms += Math.round(performance.now() - t0);
      seedLog(`seeded in ${seeded.ms} ms`);
    }
    served = await listen(node, opts.port, opts.host ?? '127.0.0.1', opts.dataDir, services);
  } catch (e) {
    await node.close();
    throw e;
  }
  const producer = new BlockProducer(node, opts.blockIntervalMs, log);
  producer.start();
  return {
    node,
    rpc: served.rpc,
    attribution: served.attribution,
    blobs: served.blobs,
    ...(seeded ? { seeded } : {}),
    async stop() {
      await producer.stop();
      await served.rpc.close();
      await served.attribution.close();
      await node.close();
    },
  };
}

async function banner(h: DevnetHandle, dataDir: string, out: Output): Promise<void> {
  const accounts = demoAccounts();
  const datanets = await chainDatanets(h.attribution.query);
  const contributors = demoContributors(loadManifest());
  const models = (await h.attribution.query('models.list', { stage: 'Approved' })) as {
    id: string;
    name: string;
    versions: string[];
  }[];
  const demoModel = models.find((m) => m.versions.length > 0);
  out.result(
    {
      chainId: h.node.chainId,
      rpc: h.rpc.url,
      ws: h.rpc.wsUrl,
      dataDir,
      height: h.node.height,
      accounts,
      contributors,
      datanets,
      model: demoModel
        ? { id: demoModel.id, name: demoModel.name, version: demoModel.versions.length }
        : null,
    },
    (v) => {
      const pins = v.datanets.map((d) => `${d.id}@${d.versionCount}`).join(',');
      return [
        '',
        `OpenLedger devnet  (chain ${v.chainId}, height ${v.height})`,
        `  RPC        ${v.rpc}`,
        `  WebSocket  ${v.ws}`,
        `  data       ${v.dataDir}   (state persists across restarts; --reset starts over)`,
        '',
        'Demo accounts (fixed public keys: never send them anything of value):',
        ...v.accounts.map((a) => `  ${a.name.padEnd(10)} ${a.address}  ${a.privateKey}`),
        ...(v.contributors.length
          ? [
              'Demo contributors:',
              ...v.contributors.map((a) => `  ${a.name.padEnd(10)} ${a.address}  ${a.privateKey}`),
            ]
          : []),
        ...(v.datanets.length
          ? [
              '',
              'Demo Datanets (owner and curator: alice):',
              ...v.datanets.map(
                (d) => `  ${d.name.padEnd(10)} ${d.id}  v${d.versionCount}, ${d.totalRows} rows`,
              ),
            ]
          : []),
        ...(v.model
          ? [
              '',
              `Demo model: ${v.model.name} ${v.model.id}@${v.model.version} (Deployed, served by operator)`,
            ]
          : []),
        '',
        'Try:',
        `  npx openledger balance alice`,
        `  npx openledger send bob 12.5 --from alice`,
        ...(v.datanets.length
          ? [
              `  npx openledger attribution trace "Ethernet is a local area network first described by Metcalfe & Boggs of Xerox PARC in 1976." \\`,
              `      ${v.model ? `--model ${v.model.id}@${v.model.version}` : `--datanet ${pins}`}`,
            ]
          : []),
        '',
        'Press Ctrl+C to stop.',
      ].join('\n');
    },
  );
}

export const devnetCommand: Command = {
  name: 'devnet',
  summary:
    'Start a single-machine devnet: a sequencer with persistent state and the demo accounts (what `npm start` runs).',
  usage: 'openledger devnet [--data-dir DIR] [--rpc-port 8545] [--block-interval 500] [--reset]',
  options: [
    { name: 'data-dir', value: 'DIR', description: 'database directory (default: $OPENLEDGER_HOME/devnet)' },
    { name: 'rpc-port', value: 'PORT', description: 'JSON-RPC port', default: '8545' },
    { name: 'host', value: 'HOST', description: 'interface to listen on', default: '127.0.0.1' },
    { name: 'block-interval', value: 'MS', description: 'block interval in milliseconds', default: '500' },
    { name: 'reset', description: 'delete the devnet state and start from genesis' },
    JSON_OPTION,
    HELP_OPTION,
  ],
  async run(args: ParsedArgs, out: Output) {
    const dataDir = String(args.options.get('data-dir') ?? join(openLedgerHome(), 'devnet'));
    if (args.options.has('reset')) await rm(dataDir, { recursive: true, force: true });
    const handle = await startDevnet({
      dataDir,
      port: Number(args.options.get('rpc-port')),
      host: String(args.options.get('host')),
      blockIntervalMs: Number(args.options.get('block-interval')),
    });
    await banner(handle, dataDir, out);
    const supply = await handle.node.app.query(
      { state: handle.node.store.latest(), height: handle.node.height },
      'bank.supply',
      {},
    );
    out.info(`total supply ${formatOpen((supply as { supply: bigint }).supply)} OPEN`);
    await runUntilSignal(() => handle.stop());
  },
};
