/**
 * The node process of the crash test: opens a Node on --data-dir with the fixed test genesis and
 * sequencer key, serves RPC on --port (0 = any free port) and produces a block every --interval ms.
 * Prints one JSON line {"url": ...} once it serves. It is meant to be killed with SIGKILL.
 */
import { BlockProducer, Node, startRpcServer } from '@openledger/node';
import { SEQUENCER_KEY, testGenesis } from './fixture.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

const node = await Node.open({
  dataDir: arg('data-dir'),
  genesis: testGenesis(),
  sequencerKey: SEQUENCER_KEY,
});
const rpc = await startRpcServer(node, {
  port: Number(arg('port', '0')),
  log: (line) => process.stderr.write(`${line}\n`),
});
const producer = new BlockProducer(node, Number(arg('interval', '20')), (line) =>
  process.stderr.write(`${line}\n`),
);
producer.start();
process.stdout.write(`${JSON.stringify({ url: rpc.url, height: node.height })}\n`);
