import { fromHex, type Hex, toHexRaw, utf8 } from './bytes.js';
import { BaseError } from './errors.js';
import { keccak256 } from './hash.js';

/** An EIP-55 checksummed 20-byte address. */
export type Address = Hex;

/**
 * Checksums already computed, by lowercase hex (bounded; cleared when full). Addresses recur in every
 * block — the same accounts, keys and module accounts — and each checksum costs a keccak-256.
 */
const checksumCache = new Map<string, Address>();

/** EIP-55: the checksummed form of a 20-byte address. PERF: one keccak-256 the first time, then a map lookup. */
export function toChecksumAddress(address: Uint8Array | string): Address {
  const bytes = typeof address === 'string' ? fromHex(address, 20) : address;
  if (bytes.length !== 20)
    throw new BaseError('INVALID_ADDRESS', `an address has 20 bytes, got ${bytes.length}`);
  const lower = toHexRaw(bytes);
  const cached = checksumCache.get(lower);
  if (cached) return cached;
  const result = checksum(lower);
  if (checksumCache.size >= 65_536) checksumCache.clear();
  checksumCache.set(lower, result);
  return result;
}

function checksum(lower: string): Address {
  const hash = toHexRaw(keccak256(utf8(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const c = lower[i]!;
    out += Number.parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out as Address;
}

/**
 * Parses a `0x` address. All-lowercase and all-uppercase forms are accepted; a mixed-case address
 * must carry a correct EIP-55 checksum (a typo is then caught instead of sending funds astray).
 */
export function parseAddress(text: string): Address {
  if (typeof text !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new BaseError('INVALID_ADDRESS', `invalid address "${String(text).slice(0, 60)}"`, {
      metaMessages: ['An address is 0x followed by 40 hex digits.'],
    });
  }
  const checksummed = toChecksumAddress(text);
  const body = text.slice(2);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && checksummed !== text) {
    throw new BaseError('INVALID_ADDRESS_CHECKSUM', `address ${text} has a wrong EIP-55 checksum`, {
      metaMessages: [`Did you mean ${checksummed}? Check the address for typos.`],
    });
  }
  return checksummed;
}

export function isAddress(text: unknown): text is Address {
  try {
    parseAddress(text as string);
    return true;
  } catch {
    return false;
  }
}

export function addressToBytes(address: string): Uint8Array {
  return fromHex(parseAddress(address), 20);
}

export function addressFromBytes(bytes: Uint8Array): Address {
  return toChecksumAddress(bytes);
}

/** Module accounts: the address is the last 20 bytes of keccak256("module:" + name). */
export function moduleAddress(name: string): Address {
  return toChecksumAddress(keccak256(utf8(`module:${name}`)).subarray(12));
}
