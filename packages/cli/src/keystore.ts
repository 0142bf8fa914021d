import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import {
  type Address,
  BaseError,
  concatBytes,
  equalBytes,
  fromHex,
  type Hex,
  keccak256,
  privateKeyToAddress,
  toChecksumAddress,
  toHex,
  toHexRaw,
  utf8,
} from '@openledger/core';

/** Where the CLI keeps keys and settings: $OPENLEDGER_HOME or ~/.openledger. */
export function openLedgerHome(): string {
  return process.env.OPENLEDGER_HOME ?? join(homedir(), '.openledger');
}

export function keysDir(): string {
  return join(openLedgerHome(), 'keys');
}

/** An Ethereum V3 keystore (scrypt + aes-128-ctr + keccak MAC), as geth and every wallet read it. */
export type KeystoreV3 = {
  version: 3;
  id: string;
  address: string;
  name?: string;
  crypto: {
    cipher: 'aes-128-ctr';
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: 'scrypt';
    kdfparams: { dklen: number; n: number; r: number; p: number; salt: string };
    mac: string;
  };
};

/** scrypt cost: N = 2^15 (about 0.1–0.3 s here); geth's "light" setting is 2^12, its standard 2^18. */
export const DEFAULT_SCRYPT_N = 1 << 15;

export async function encryptKey(
  privateKey: Hex,
  password: string,
  opts: { n?: number; name?: string } = {},
): Promise<KeystoreV3> {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const kdfparams = { dklen: 32, n: opts.n ?? DEFAULT_SCRYPT_N, r: 8, p: 1, salt: toHexRaw(salt) };
  const derived = await scryptAsync(utf8(password), salt, { N: kdfparams.n, r: 8, p: 1, dkLen: 32 });
  const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
  const ciphertext = concatBytes(cipher.update(fromHex(privateKey, 32)), cipher.final());
  const mac = keccak256(concatBytes(derived.subarray(16, 32), ciphertext));
  const ks: KeystoreV3 = {
    version: 3,
    id: randomUUID(),
    address: toHexRaw(fromHex(privateKeyToAddress(privateKey))),
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: { iv: toHexRaw(iv) },
      ciphertext: toHexRaw(ciphertext),
      kdf: 'scrypt',
      kdfparams,
      mac: toHexRaw(mac),
    },
  };
  if (opts.name) ks.name = opts.name;
  return ks;
}

export async function decryptKey(ks: KeystoreV3, password: string): Promise<Hex> {
  if (ks.version !== 3 || ks.crypto?.kdf !== 'scrypt' || ks.crypto.cipher !== 'aes-128-ctr') {
    throw new BaseError(
      'KEYSTORE_UNSUPPORTED',
      'only V3 keystores with scrypt and aes-128-ctr are supported',
    );
  }
  const { n, r, p, dklen, salt } = ks.crypto.kdfparams;
  const derived = await scryptAsync(utf8(password), fromHex(salt), { N: n, r, p, dkLen: dklen });
  const ciphertext = fromHex(ks.crypto.ciphertext);
  const mac = keccak256(concatBytes(derived.subarray(16, 32), ciphertext));
  if (!equalBytes(mac, fromHex(ks.crypto.mac))) {
    throw new BaseError('WRONG_PASSWORD', 'wrong password for this keystore', {
      metaMessages: ['Check --password-file or OPENLEDGER_PASSWORD.'],
    });
  }
  const decipher = createDecipheriv(
    'aes-128-ctr',
    derived.subarray(0, 16),
    fromHex(ks.crypto.cipherparams.iv),
  );
  return toHex(concatBytes(decipher.update(ciphertext), decipher.final()));
}

export type StoredKey = { name: string; address: Address; path: string };

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new BaseError('INVALID_KEY_NAME', `invalid key name "${name}"`, {
      metaMessages: ['Use letters, digits, dot, dash or underscore (at most 64).'],
    });
  }
}

export async function saveKey(
  name: string,
  privateKey: Hex,
  password: string,
  opts: { n?: number } = {},
): Promise<StoredKey> {
  checkName(name);
  await mkdir(keysDir(), { recursive: true, mode: 0o700 });
  const path = join(keysDir(), `${name}.json`);
  const ks = await encryptKey(privateKey, password, { ...opts, name });
  try {
    await writeFile(path, `${JSON.stringify(ks, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new BaseError('KEY_EXISTS', `a key named "${name}" already exists`, {
        metaMessages: ['Choose another name.'],
      });
    }
    throw e;
  }
  return { name, address: privateKeyToAddress(privateKey), path };
}

export async function listKeys(): Promise<StoredKey[]> {
  let files: string[];
  try {
    files = await readdir(keysDir());
  } catch {
    return [];
  }
  const out: StoredKey[] = [];
  for (const f of files.filter((x) => x.endsWith('.json')).sort()) {
    try {
      const ks = JSON.parse(await readFile(join(keysDir(), f), 'utf8')) as KeystoreV3;
      out.push({ name: f.slice(0, -5), address: toChecksumAddress(ks.address), path: join(keysDir(), f) });
    } catch {
      // not a keystore: skip
    }
  }
  return out;
}

export async function loadKeystore(name: string): Promise<KeystoreV3 | undefined> {
  checkName(name);
  try {
    return JSON.parse(await readFile(join(keysDir(), `${name}.json`), 'utf8')) as KeystoreV3;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
