import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devnetParams, type GenesisConfig, stakingDevnetGenesisModules, TREASURY } from '@openledger/chain';
import {
  type Address,
  BaseError,
  type Hex,
  keccak256,
  OPEN,
  privateKeyToAddress,
  toHex,
  utf8,
} from '@openledger/core';

/**
 * The devnet's fixed demo keys (DESIGN §6): derived from public names, so they are the same on every
 * machine and must never hold anything of value. Only these keys are ever kept in the clear.
 */
export const DEMO_NAMES = [
  'sequencer',
  'operator',
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
] as const;
export type DemoName = (typeof DEMO_NAMES)[number];

export function demoKey(name: DemoName): Hex {
  return toHex(keccak256(utf8(`openledger devnet demo key: ${name}`)));
}

export function demoAccounts(): Array<{ name: DemoName; address: Address; privateKey: Hex }> {
  return DEMO_NAMES.map((name) => ({
    name,
    privateKey: demoKey(name),
    address: privateKeyToAddress(demoKey(name)),
  }));
}

/** The repository root (this file is packages/cli/dist/devnet-seed.js). */
export function repoRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}

export type ManifestFile = {
  file: string;
  contributor: string;
  theme?: string;
  rows: number;
  bytes: number;
  sha256: string;
};
export type ManifestDatanet = {
  name: string;
  summary: string;
  source?: string;
  license?: string;
  files: ManifestFile[];
};
export type Manifest = { version: number; datanets: ManifestDatanet[] };

/** Reads `<dataDir>/datanets/manifest.json`; undefined when there is none. */
export function loadManifest(dataDir = join(repoRoot(), 'data')): Manifest | undefined {
  const path = join(dataDir, 'datanets', 'manifest.json');
  if (!existsSync(path)) return undefined;
  const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  if (!Array.isArray(m.datanets)) throw new BaseError('INVALID_MANIFEST', `${path} has no "datanets" list`);
  return m;
}

/**
 * A demo contributor's fixed key, derived like the demo keys (DESIGN §6): public, the same on every
 * machine, never to hold anything of value.
 */
export function contributorKey(name: string): Hex {
  return toHex(keccak256(utf8(`openledger devnet demo key: contributor ${name}`)));
}

export type DemoContributor = { name: string; address: Address; privateKey: Hex };

/** The manifest's contributors, once each, in seeding order. */
export function demoContributors(manifest: Manifest | undefined): DemoContributor[] {
  const names: string[] = [];
  for (const d of manifest?.datanets ?? [])
    for (const f of d.files) if (!names.includes(f.contributor)) names.push(f.contributor);
  return names.map((name) => ({
    name,
    privateKey: contributorKey(name),
    address: privateKeyToAddress(contributorKey(name)),
  }));
}

/** OPEN each demo contributor gets at genesis (gas for its contribution, with room to spare). */
export const CONTRIBUTOR_BALANCE = 1_000n * OPEN;
/** The operator's bond at genesis when the demo model is served. */
export const OPERATOR_GENESIS_BOND = 10_000n * OPEN;

export type DemoAdapter = { dir: string; adapter: Uint8Array; config: Uint8Array };

/** The engine's demo adapter, when present: `adapter_model.safetensors` + `adapter_config.json`. */
export function findDemoAdapter(dir = join(repoRoot(), 'models', 'demo-adapter')): DemoAdapter | undefined {
  const adapter = join(dir, 'adapter_model.safetensors');
  const config = join(dir, 'adapter_config.json');
  if (!existsSync(adapter) || !existsSync(config)) return undefined;
  return { dir, adapter: readFileSync(adapter), config: readFileSync(config) };
}

/** The demo model as registered at genesis (Approved, owned by `bob`). */
export const DEMO_MODEL = {
  name: 'openledger-demo',
  baseModel: 'openledger-base',
  description:
    'The demo model: the base model with a LoRA adapter fine-tuned on the demo Datanets (retrieval format).',
  owner: 'bob' as const,
  rateInPer1k: OPEN / 10n,
  rateOutPer1k: OPEN / 5n,
  operatorShareBps: 1_000n,
};

export const DEVNET_CHAIN_ID = 7077n;
/** Fixed, so every fresh devnet has the same genesis and state roots (2026-01-01T00:00:00Z). */
export const DEVNET_GENESIS_TIME = 1_767_225_600n;

export type DevnetGenesisOptions = {
  /** Demo contributors funded at genesis (default: those of the shipped manifest). */
  contributors?: readonly DemoContributor[];
  /** Register the demo model (Approved) and bond the operator at genesis (when the demo adapter ships). */
  demoModel?: boolean;
};

/**
 * The devnet genesis (DESIGN §6): demo accounts with OPEN and gOPEN above the proposal threshold and
 * quorum, the sequencer as the validator, a funded treasury, the demo contributors' fixed keys funded,
 * the devnet parameters of DESIGN §4 and, with `demoModel`, the demo model Approved and the operator
 * bonded.
 */
export function devnetGenesis(opts: DevnetGenesisOptions = {}): GenesisConfig {
  const demo = demoAccounts().map((a) => ({
    address: a.address,
    balance: (a.name === 'sequencer' ? 10_000_000n : 1_000_000n) * OPEN,
  }));
  const contributors = (opts.contributors ?? demoContributors(loadManifest())).map((c) => ({
    address: c.address,
    balance: CONTRIBUTOR_BALANCE,
  }));
  const sequencer = privateKeyToAddress(demoKey('sequencer'));
  const modelSections = opts.demoModel
    ? {
        models: {
          models: [
            {
              owner: privateKeyToAddress(demoKey(DEMO_MODEL.owner)),
              name: DEMO_MODEL.name,
              baseModel: DEMO_MODEL.baseModel,
              description: DEMO_MODEL.description,
              stage: 'Approved',
            },
          ],
        },
        settlement: {
          operatorBonds: [
            { address: privateKeyToAddress(demoKey('operator')), amount: OPERATOR_GENESIS_BOND },
          ],
        },
      }
    : {};
  return {
    chainId: DEVNET_CHAIN_ID,
    genesisTime: DEVNET_GENESIS_TIME,
    sequencer,
    accounts: [...demo, ...contributors, { address: TREASURY, balance: 10_000_000n * OPEN }],
    params: devnetParams(),
    modules: { ...stakingDevnetGenesisModules(demo, { sequencer }), ...modelSections },
  };
}
