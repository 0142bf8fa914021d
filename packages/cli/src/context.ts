import { readFile } from 'node:fs/promises';
import { BaseError, type Hex, isAddress, parseAddress, privateKeyToAddress } from '@openledger/core';
import { OpenLedgerClient, privateKeySigner, type Signer } from '@openledger/sdk';
import type { ParsedArgs } from './args.js';
import { DEMO_NAMES, type DemoName, demoContributors, demoKey, loadManifest } from './devnet-config.js';

/** The devnet's demo contributor with this name (ada, grace, …: the manifest's), if any. */
function demoContributor(name: string) {
  try {
    return demoContributors(loadManifest()).find((c) => c.name === name);
  } catch {
    return undefined;
  }
}

import { decryptKey, listKeys, loadKeystore } from './keystore.js';

export const RPC_OPTION = {
  name: 'rpc',
  value: 'URL',
  description: 'node JSON-RPC URL (env OPENLEDGER_RPC)',
  default: process.env.OPENLEDGER_RPC ?? 'http://127.0.0.1:8545',
};
export const JSON_OPTION = { name: 'json', description: 'print JSON instead of text' };
export const HELP_OPTION = { name: 'help', description: 'show this help' };
export const FROM_OPTIONS = [
  {
    name: 'from',
    value: 'KEY',
    description: 'signing key: a keystore name (keys list) or a devnet demo name (alice, bob, …)',
  },
  {
    name: 'password-file',
    value: 'FILE',
    description: 'file holding the keystore password (or env OPENLEDGER_PASSWORD)',
  },
];

export function client(args: ParsedArgs): OpenLedgerClient {
  return new OpenLedgerClient(String(args.options.get('rpc')));
}

export async function readPassword(args: ParsedArgs, purpose: string): Promise<string> {
  const file = args.options.get('password-file');
  if (typeof file === 'string') return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  if (process.env.OPENLEDGER_PASSWORD !== undefined) return process.env.OPENLEDGER_PASSWORD;
  if (!process.stdin.isTTY) {
    throw new BaseError('PASSWORD_REQUIRED', `a password is needed to ${purpose}`, {
      metaMessages: ['Pass --password-file FILE or set OPENLEDGER_PASSWORD.'],
    });
  }
  return promptHidden(`Password to ${purpose}: `);
}

async function promptHidden(question: string): Promise<string> {
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode?.(true);
  stdin.resume();
  let input = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          cleanup();
          process.stderr.write('\n');
          return resolve(input);
        }
        if (ch === '\u0003') {
          cleanup();
          return reject(new BaseError('CANCELLED', 'cancelled'));
        }
        if (ch === '\u007f') input = input.slice(0, -1);
        else input += ch;
      }
    };
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

/** Resolves `--from`: a keystore name (decrypted with the password) or a devnet demo name. */
export async function resolveSigner(args: ParsedArgs): Promise<Signer> {
  const from = args.options.get('from');
  if (typeof from !== 'string') {
    throw new BaseError('MISSING_FROM', 'say which key signs with --from', {
      metaMessages: ['openledger keys list shows your keys; on the devnet, --from alice works.'],
    });
  }
  const ks = await loadKeystore(from);
  if (ks) return privateKeySigner(await decryptKey(ks, await readPassword(args, `unlock key "${from}"`)));
  if ((DEMO_NAMES as readonly string[]).includes(from)) return privateKeySigner(demoKey(from as DemoName));
  const contributor = demoContributor(from);
  if (contributor) return privateKeySigner(contributor.privateKey);
  throw new BaseError('UNKNOWN_KEY', `no key named "${from}"`, {
    metaMessages: [
      `Keys: ${(await listKeys()).map((k) => k.name).join(', ') || '(none)'}; demo keys: ${DEMO_NAMES.join(', ')}.`,
    ],
  });
}

/** An address argument: a 0x address, a keystore name or a demo name. */
export async function resolveAddress(text: string): Promise<string> {
  if (isAddress(text)) return parseAddress(text);
  const key = (await listKeys()).find((k) => k.name === text);
  if (key) return key.address;
  if ((DEMO_NAMES as readonly string[]).includes(text)) return privateKeyToAddress(demoKey(text as DemoName));
  const contributor = demoContributor(text);
  if (contributor) return contributor.address;
  throw new BaseError('INVALID_ADDRESS', `"${text}" is neither an address nor a known key name`);
}

export type Hexish = Hex;
