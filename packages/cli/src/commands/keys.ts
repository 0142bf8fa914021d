import { BaseError, generatePrivateKey, privateKeyToAddress, toChecksumAddress } from '@openledger/core';
import { type Command, table } from '../command.js';
import { HELP_OPTION, JSON_OPTION, readPassword } from '../context.js';
import { demoAccounts } from '../devnet-config.js';
import { decryptKey, listKeys, loadKeystore, saveKey } from '../keystore.js';

const PASSWORD_OPTION = {
  name: 'password-file',
  value: 'FILE',
  description: 'file holding the password (or env OPENLEDGER_PASSWORD)',
};

export const keysCommand: Command = {
  name: 'keys',
  summary: 'Manage signing keys, stored as scrypt-encrypted Ethereum V3 keystores in $OPENLEDGER_HOME/keys.',
  usage: 'openledger keys new|list|show|import',
  subcommands: [
    {
      name: 'new',
      summary: 'Create a new key and store it encrypted.',
      usage: 'openledger keys new <name> [--password-file FILE]',
      options: [PASSWORD_OPTION, JSON_OPTION, HELP_OPTION],
      async run(args, out) {
        const name = args.positionals[0];
        if (!name) throw new BaseError('MISSING_ARGUMENT', 'usage: openledger keys new <name>');
        const password = await readPassword(args, `encrypt key "${name}"`);
        if (password.length < 8)
          throw new BaseError('WEAK_PASSWORD', 'use a password of at least 8 characters');
        const stored = await saveKey(name, generatePrivateKey(), password);
        out.result(stored, (k) => `created key "${k.name}" ${k.address}\nstored in ${k.path}`);
      },
    },
    {
      name: 'import',
      summary: 'Import a private key (read from a file, never from the command line) and store it encrypted.',
      usage: 'openledger keys import <name> --key-file FILE [--password-file FILE]',
      options: [
        { name: 'key-file', value: 'FILE', description: 'file holding the 0x private key' },
        PASSWORD_OPTION,
        JSON_OPTION,
        HELP_OPTION,
      ],
      async run(args, out) {
        const name = args.positionals[0];
        const file = args.options.get('key-file');
        if (!name || typeof file !== 'string')
          throw new BaseError('MISSING_ARGUMENT', 'usage: openledger keys import <name> --key-file FILE');
        const { readFile } = await import('node:fs/promises');
        const key = (await readFile(file, 'utf8')).trim() as `0x${string}`;
        privateKeyToAddress(key);
        const stored = await saveKey(name, key, await readPassword(args, `encrypt key "${name}"`));
        out.result(stored, (k) => `imported key "${k.name}" ${k.address}`);
      },
    },
    {
      name: 'list',
      summary: 'List stored keys (and, with --demo, the devnet demo accounts).',
      usage: 'openledger keys list [--demo] [--json]',
      options: [
        { name: 'demo', description: 'also list the devnet demo accounts' },
        JSON_OPTION,
        HELP_OPTION,
      ],
      async run(args, out) {
        const keys: Array<{ name: string; address: string; kind: string }> = (await listKeys()).map((k) => ({
          ...k,
          kind: 'keystore',
        }));
        if (args.options.has('demo'))
          for (const d of demoAccounts())
            keys.push({ name: d.name, address: d.address, kind: 'devnet demo' });
        out.result(keys, (ks) =>
          ks.length
            ? table([['NAME', 'ADDRESS', 'KIND'], ...ks.map((k) => [k.name, k.address, k.kind])])
            : 'no keys yet: openledger keys new <name>',
        );
      },
    },
    {
      name: 'show',
      summary: "Show a key's address; --reveal decrypts and prints the private key.",
      usage: 'openledger keys show <name> [--reveal] [--password-file FILE]',
      options: [
        { name: 'reveal', description: 'print the private key (asks for the password)' },
        PASSWORD_OPTION,
        JSON_OPTION,
        HELP_OPTION,
      ],
      async run(args, out) {
        const name = args.positionals[0];
        if (!name) throw new BaseError('MISSING_ARGUMENT', 'usage: openledger keys show <name>');
        const ks = await loadKeystore(name);
        if (!ks) throw new BaseError('UNKNOWN_KEY', `no key named "${name}"`);
        const address = toChecksumAddress(ks.address);
        const result: Record<string, string> = { name, address };
        if (args.options.has('reveal'))
          result.privateKey = await decryptKey(ks, await readPassword(args, `unlock key "${name}"`));
        out.result(result, (r) =>
          [`${r.name} ${r.address}`, ...(r.privateKey ? [`private key: ${r.privateKey}`] : [])].join('\n'),
        );
      },
    },
  ],
};
