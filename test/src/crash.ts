/**
 * The crash test (issue: "kill the node with SIGKILL at random moments under load"): a child node
 * process produces blocks every ~20 ms while this process sends signed transfers through the SDK
 * and records every receipt it is given. At a seeded random moment the child gets SIGKILL; this
 * process then re-opens the data directory and checks:
 *  - the head is the last committed block: store height = block height, head's state root = the
 *    store's root, and the chain below is unchanged (no committed block rewritten);
 *  - every receipt ever returned is still there, in the same block at the same index;
 *  - the supply invariant holds on the re-opened latest state;
 *  - a replay (a fresh in-memory node importing every stored block: signatures, roots re-checked)
 *    ends at the same head hash and state root, and the users' balances equal a simple model
 *    (amounts and gas fees from the receipts).
 * Then the child is restarted on the same directory for the next round.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TxReceipt } from '@openledger/chain';
import { type Address, BaseError, type Hex, toHex } from '@openledger/core';
import { Node } from '@openledger/node';
import { OpenLedgerClient, privateKeySigner } from '@openledger/sdk';
import { prng, SINKS, testGenesis, USER_BALANCE, USER_KEYS, USERS } from './fixture.js';

export type CrashOptions = {
  rounds: number;
  seed?: number;
  /** Load before the kill, ms (uniform in [min, max]) after the round's first two receipts. */
  minLoadMs?: number;
  maxLoadMs?: number;
  /** Share of rounds killed during start-up instead (before or while the node opens its store). */
  startupKillShare?: number;
  /** Concurrent senders (at most 8). */
  senders?: number;
  log?: (line: string) => void;
};

export type CrashCounts = {
  rounds: number;
  startupKills: number;
  transactionsSent: number;
  receiptsReturned: number;
  receiptsChecked: number;
  finalHeight: number;
  blocksReplayed: number;
  blocksWithTransactions: number;
  seed: number;
};

type Recorded = { hash: Hex; height: number; index: number; status: string; from: Address };

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

function startChild(dir: string): { child: ChildProcess; url: Promise<string>; exited: Promise<void> } {
  const child = spawn(process.execPath, [CHILD, '--data-dir', dir, '--port', '0', '--interval', '20'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`node process exited (${code ?? signal}) before serving: ${stderr.slice(-2000)}`)),
    );
  });
  url.catch(() => {});
  return { child, url, exited };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runCrashRounds(opts: CrashOptions): Promise<CrashCounts> {
  const seed = opts.seed ?? 20240601;
  const rand = prng(seed);
  const log = opts.log ?? (() => {});
  const minLoad = opts.minLoadMs ?? 20;
  const maxLoad = opts.maxLoadMs ?? 500;
  const senders = Math.min(opts.senders ?? 6, USERS.length);
  const dir = await mkdtemp(join(tmpdir(), 'ol-crash-'));
  const genesis = testGenesis();
  const replay = await Node.open({ genesis });
  const recorded = new Map<Hex, Recorded>();
  const model = new Map<Address, bigint>(USERS.map((u) => [u, USER_BALANCE]));
  const counts: CrashCounts = {
    rounds: 0,
    startupKills: 0,
    transactionsSent: 0,
    receiptsReturned: 0,
    receiptsChecked: 0,
    finalHeight: 0,
    blocksReplayed: 0,
    blocksWithTransactions: 0,
    seed,
  };
  let verifiedHead: { height: number; hash: Hex } | undefined;
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const { child, url, exited } = startChild(dir);
      const startupKill = round > 0 && rand() < (opts.startupKillShare ?? 0.1);
      if (startupKill) {
        // somewhere in process start-up, store open or the first blocks
        await Promise.race([sleep(Math.floor(rand() * 400)), exited]);
        counts.startupKills++;
      } else {
        const nodeUrl = await url;
        const client = new OpenLedgerClient({ url: nodeUrl, timeoutMs: 5000 });
        let killed = false;
        let roundReceipts = 0;
        const failures: unknown[] = [];
        const load = async (s: number) => {
          const signer = privateKeySigner(USER_KEYS[s]!);
          const { minGasPrice } = await client.chainInfo();
          let nonce = (await client.getNonce(signer.address)).pending;
          for (let i = 0; !killed; i++) {
            const to = i % 3 === 0 ? SINKS[(s + i) % SINKS.length]! : USERS[(s + 1 + i) % senders]!;
            const amount = BigInt(1 + Math.floor(rand() * 1_000_000)) * 10n ** 12n;
            counts.transactionsSent++;
            const sent = await client.transfer(signer, to, amount, {
              nonce,
              gasLimit: 100_000n,
              gasPrice: minGasPrice,
            });
            const r = await client.waitForReceipt(sent.hash, { pollMs: 5, timeoutMs: 10_000 });
            if (r.status !== 'ok') throw new Error(`transfer ${r.txHash} failed: ${r.code} ${r.error}`);
            recorded.set(r.txHash, {
              hash: r.txHash,
              height: r.height,
              index: r.index,
              status: r.status,
              from: r.from,
            });
            counts.receiptsReturned++;
            roundReceipts++;
            nonce++;
          }
        };
        const loads = Array.from({ length: senders }, (_, s) =>
          load(s).catch((e) => {
            if (!killed) failures.push(e);
          }),
        );
        // under load: once this round has had receipts (a loaded machine may be slow), a random delay
        const before = counts.receiptsReturned;
        const deadline = Date.now() + 30_000;
        while (counts.receiptsReturned < before + 2 && failures.length === 0 && Date.now() < deadline) {
          await sleep(5);
        }
        if (counts.receiptsReturned < before + 2 && failures.length === 0) {
          failures.push(new Error(`round ${round}: no receipts within 30 s`));
        }
        await sleep(minLoad + Math.floor(rand() * (maxLoad - minLoad)));
        // on a loaded machine load ramps up slowly: make sure every round saw receipts (bounded wait)
        for (let waited = 0; roundReceipts < 6 && waited < 15_000 && !failures.length; waited += 20)
          await sleep(20);
        killed = true;
        child.kill('SIGKILL');
        await Promise.all(loads);
        if (failures.length) throw failures[0];
      }
      child.kill('SIGKILL');
      await exited;
      counts.rounds++;

      // ---- re-open the data directory and check ----
      let node: Node;
      try {
        node = await Node.open({ dataDir: dir });
      } catch (e) {
        if (startupKill && e instanceof BaseError && e.code === 'NO_GENESIS') continue; // killed before anything
        throw e;
      }
      try {
        const head = (await node.getBlock(node.height))!;
        check(node.store.height === node.height, `store height ${node.store.height} != head ${node.height}`);
        check(head.header.hash === node.latestHeader.hash, 'head is not the stored block at the head height');
        check(
          head.header.stateRoot === toHex(node.store.root),
          `round ${round}: head state root ${head.header.stateRoot} != store root ${toHex(node.store.root)}`,
        );
        check(
          (await node.getBlock(node.height + 1)) === undefined,
          `a block above the head ${node.height} was stored`,
        );
        if (verifiedHead) {
          check(
            node.height >= verifiedHead.height,
            `height went back from ${verifiedHead.height} to ${node.height}`,
          );
          const old = await node.getBlock(verifiedHead.height);
          check(old?.header.hash === verifiedHead.hash, `block ${verifiedHead.height} was rewritten`);
        }
        for (const r of recorded.values()) {
          const stored = await node.getReceipt(r.hash);
          check(stored !== undefined, `round ${round}: receipt of ${r.hash} (block ${r.height}) is lost`);
          check(
            stored!.height === r.height && stored!.index === r.index && stored!.status === r.status,
            `receipt of ${r.hash} moved: block ${r.height}#${r.index} → ${stored!.height}#${stored!.index}`,
          );
          counts.receiptsChecked++;
        }
        const violations = await node.app.checkInvariants(node.store.latest(), {
          chainId: node.chainId,
          height: node.height + 1,
          time: node.latestHeader.time,
          proposer: node.sequencer,
        });
        check(violations.length === 0, `invariants: ${violations.join('; ')}`);

        // replay the new blocks on the in-memory node (signature, tx/result/state roots re-checked)
        while (replay.height < node.height) {
          const block = (await node.getBlock(replay.height + 1))!;
          const { receipts } = await replay.importBlock(block);
          counts.blocksReplayed++;
          if (receipts.length) counts.blocksWithTransactions++;
          for (const [i, r] of receipts.entries()) applyToModel(model, replay, block.txs[i]!, r);
        }
        check(replay.latestHeader.hash === node.latestHeader.hash, 'replayed head differs');
        check(toHex(replay.store.root) === toHex(node.store.root), 'replayed state root differs');
        for (const a of [...USERS, ...SINKS]) {
          const stored = await balanceOf(node, a);
          check(
            stored === (model.get(a) ?? 0n),
            `balance of ${a}: stored ${stored}, model ${model.get(a) ?? 0n}`,
          );
          check(stored === (await balanceOf(replay, a)), `balance of ${a} differs from the replay`);
        }
        verifiedHead = { height: node.height, hash: node.latestHeader.hash };
        counts.finalHeight = node.height;
        log(
          `round ${round}: height ${node.height}, ${recorded.size} receipts checked${startupKill ? ' (killed at start-up)' : ''}`,
        );
      } finally {
        await node.close();
      }
    }
  } finally {
    await replay.close();
    await rm(dir, { recursive: true, force: true });
  }
  return counts;
}

function check(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(`crash test: ${message}`);
}

async function balanceOf(node: Node, address: Address): Promise<bigint> {
  const r = (await node.app.query({ state: node.store.latest(), height: node.height }, 'bank.balance', {
    address,
  })) as { balance: bigint };
  return r.balance;
}

/** The model: a transfer moves its amount when ok; the sender pays gasUsed × gasPrice either way. */
function applyToModel(model: Map<Address, bigint>, node: Node, raw: Uint8Array, r: TxReceipt): void {
  const tx = node.app.registry.decodeTx(raw);
  check(tx.kind === 'Transfer', `unexpected ${tx.kind}`);
  const fee = r.gasUsed * r.gasPrice;
  model.set(r.from, (model.get(r.from) ?? 0n) - fee);
  if (r.status === 'ok') {
    const { to, amount } = tx.message as unknown as { to: Address; amount: bigint };
    model.set(r.from, model.get(r.from)! - amount);
    model.set(to, (model.get(to) ?? 0n) + amount);
  }
}
