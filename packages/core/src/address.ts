import { fromHex, type Hex, toHexRaw, utf8 } from './bytes.js';
import { BaseError } from './errors.js';
import { keccak256 } from './hash.js';

/** An EIP-55 checksummed 20-byte address. */
export type Address = Hex;

/**
 * Checksummed forms of recently seen addresses (lowercase hex → EIP-55). A pure function's memo:
 * bounded, cleared when full. PERF: saves a keccak per address on the transaction hot path.
 */
const checksumCache = new Map<string, Address>();
const CHECKSUM_CACHE_MAX = 1 << 16;
const ADDRESS_TEXT = /^(0[xX])?[0-9a-fA-F]{40}$/;

/** EIP-55: the checksummed form of a 20-byte address. */
export function toChecksumAddress(address: Uint8Array | string): Address {
  if (typeof address === 'string' && ADDRESS_TEXT.test(address)) {
    const cached = checksumCache.get(address.slice(address.length - 40).toLowerCase());
    if (cached !== undefined) return cached;
  }
  const bytes = typeof address === 'string' ? fromHex(address, 20) : address;
  if (bytes.length !== 20)
    throw new BaseError('INVALID_ADDRESS', `an address has 20 bytes, got ${bytes.length}`);
  const lower = toHexRaw(bytes);
  const cached = checksumCache.get(lower);
  if (cached !== undefined) return cached;
  const hash = toHexRaw(keccak256(utf8(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const c = lower[i]!;
    out += Number.parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c;
  }
  if (checksumCache.size >= CHECKSUM_CACHE_MAX) checksumCache.clear();
  checksumCache.set(lower, out as Address);
  return out as Address;
}

/**
 * Parses a `0x` address. All-lowercase and all-uppercase forms are accepted; a mixed-case address
 * must carry a correct EIP-55 checksum (a typo is then caught instead of sending funds astray).
 */
/** Addresses already parsed (text → checksummed); bounded memo of a pure function. */
const parsedCache = new Map<string, Address>();

export function parseAddress(text: string): Address {
  const hit = parsedCache.get(text);
  if (hit !== undefined) return hit;
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
  if (parsedCache.size >= CHECKSUM_CACHE_MAX) parsedCache.clear();
  parsedCache.set(text, checksummed);
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
