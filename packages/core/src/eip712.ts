import { parseAddress } from './address.js';
import { bigintToBytes, concatBytes, fromHex, type Hex, utf8 } from './bytes.js';
import { BaseError } from './errors.js';
import { keccak256 } from './hash.js';

/**
 * EIP-712 typed structured data hashing (https://eips.ethereum.org/EIPS/eip-712), for the types
 * this chain uses: address, uint256, bool, string, bytes, bytes32, structs and arrays of either.
 */
export type TypedField = { readonly name: string; readonly type: string };
export type TypedTypes = Readonly<Record<string, readonly TypedField[]>>;

/** DESIGN §3: domain {name: "OpenLedger", version: "1", chainId}, no verifyingContract. */
export type Eip712Domain = { name: string; version: string; chainId: bigint };

export const DOMAIN_TYPE: readonly TypedField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
];

export function openLedgerDomain(chainId: bigint): Eip712Domain {
  return { name: 'OpenLedger', version: '1', chainId };
}

const typeHashCache = new WeakMap<TypedTypes, Map<string, Uint8Array>>();

function referencedTypes(types: TypedTypes, primary: string, found: Set<string>): void {
  if (found.has(primary)) return;
  const fields = types[primary];
  if (!fields) return;
  found.add(primary);
  for (const f of fields) referencedTypes(types, f.type.replace(/\[\]$/, ''), found);
}

/** `Primary(type name,…)Dep1(…)Dep2(…)` with dependencies sorted by name. */
export function encodeType(types: TypedTypes, primary: string): string {
  const found = new Set<string>();
  referencedTypes(types, primary, found);
  found.delete(primary);
  const order = [primary, ...[...found].sort()];
  return order.map((t) => `${t}(${types[t]!.map((f) => `${f.type} ${f.name}`).join(',')})`).join('');
}

export function typeHash(types: TypedTypes, primary: string): Uint8Array {
  let cache = typeHashCache.get(types);
  if (!cache) {
    cache = new Map();
    typeHashCache.set(types, cache);
  }
  let h = cache.get(primary);
  if (!h) {
    h = keccak256(utf8(encodeType(types, primary)));
    cache.set(primary, h);
  }
  return h;
}

function typeError(type: string, name: string, value: unknown): BaseError {
  const shown = typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)?.slice(0, 60);
  return new BaseError('INVALID_TYPED_DATA', `field "${name}" of type ${type} has an invalid value ${shown}`);
}

function bytesOf(value: unknown, type: string, name: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    try {
      return fromHex(value);
    } catch {
      throw typeError(type, name, value);
    }
  }
  throw typeError(type, name, value);
}

function encodeField(types: TypedTypes, type: string, name: string, value: unknown): Uint8Array {
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) throw typeError(type, name, value);
    const inner = type.slice(0, -2);
    return keccak256(concatBytes(...value.map((v, i) => encodeField(types, inner, `${name}[${i}]`, v))));
  }
  if (types[type]) return hashStruct(types, type, value as Record<string, unknown>);
  switch (type) {
    case 'address': {
      if (typeof value !== 'string') throw typeError(type, name, value);
      return concatBytes(new Uint8Array(12), fromHex(parseAddress(value), 20));
    }
    case 'uint256': {
      if (typeof value !== 'bigint' || value < 0n || value >= 1n << 256n) throw typeError(type, name, value);
      return bigintToBytes(value, 32);
    }
    case 'bool': {
      if (typeof value !== 'boolean') throw typeError(type, name, value);
      return bigintToBytes(value ? 1n : 0n, 32);
    }
    case 'string': {
      if (typeof value !== 'string') throw typeError(type, name, value);
      return keccak256(utf8(value));
    }
    case 'bytes':
      return keccak256(bytesOf(value, type, name));
    case 'bytes32': {
      const b = bytesOf(value, type, name);
      if (b.length !== 32) throw typeError(type, name, value);
      return b;
    }
    default:
      throw new BaseError('INVALID_TYPED_DATA', `unsupported EIP-712 type "${type}" for field "${name}"`);
  }
}

/** hashStruct(s) = keccak256(typeHash ‖ encodeData(s)). */
export function hashStruct(types: TypedTypes, primary: string, data: Record<string, unknown>): Uint8Array {
  const fields = types[primary];
  if (!fields) throw new BaseError('INVALID_TYPED_DATA', `unknown EIP-712 type "${primary}"`);
  if (data === null || typeof data !== 'object') throw typeError(primary, primary, data);
  const parts: Uint8Array[] = [typeHash(types, primary)];
  for (const f of fields) {
    if (!(f.name in data))
      throw new BaseError('INVALID_TYPED_DATA', `missing field "${f.name}" of ${primary}`);
    parts.push(encodeField(types, f.type, f.name, data[f.name]));
  }
  return keccak256(concatBytes(...parts));
}

const domainTypes: TypedTypes = { EIP712Domain: DOMAIN_TYPE };

/** Separators of the domains seen (a memo of a pure function; there is normally one domain). */
const separators = new Map<string, Uint8Array>();

export function domainSeparator(domain: Eip712Domain): Uint8Array {
  return cachedSeparator(domain).slice();
}

function cachedSeparator(domain: Eip712Domain): Uint8Array {
  const { name, version, chainId } = domain;
  if (typeof name !== 'string' || typeof version !== 'string' || typeof chainId !== 'bigint') {
    return hashStruct(domainTypes, 'EIP712Domain', domain);
  }
  const id = `${chainId}\u0000${version}\u0000${name}`;
  let sep = separators.get(id);
  if (sep === undefined) {
    sep = hashStruct(domainTypes, 'EIP712Domain', domain);
    if (separators.size >= 256) separators.clear();
    separators.set(id, sep);
  }
  return sep;
}

export type HashTypedDataParameters = {
  domain: Eip712Domain;
  types: TypedTypes;
  primaryType: string;
  message: Record<string, unknown>;
};

/** The EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)). */
export function hashTypedData({ domain, types, primaryType, message }: HashTypedDataParameters): Uint8Array {
  return keccak256(
    concatBytes(Uint8Array.of(0x19, 0x01), cachedSeparator(domain), hashStruct(types, primaryType, message)),
  );
}

export type { Hex };
