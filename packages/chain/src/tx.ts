import {
  type Address,
  decode,
  encode,
  fromHex,
  type Hex,
  hashTypedData,
  openLedgerDomain,
  parseAddress,
  signDigest,
  type TypedField,
  type TypedTypes,
  toChecksumAddress,
  toHex,
  type Value,
} from '@openledger/core';
import { ChainError } from './errors.js';

/**
 * Transactions are EIP-712 typed data (DESIGN §3, *fixed*): one primary type per message kind, named
 * after it, whose fields are `from, nonce, gasLimit, gasPrice` followed by the message's own fields.
 * The transaction hash is the EIP-712 digest; the signature is r‖s‖v.
 */
export const TX_ENVELOPE_FIELDS: readonly TypedField[] = [
  { name: 'from', type: 'address' },
  { name: 'nonce', type: 'uint256' },
  { name: 'gasLimit', type: 'uint256' },
  { name: 'gasPrice', type: 'uint256' },
];

/** A message kind's EIP-712 description: its own fields and the structs they reference. */
export type MessageType = {
  readonly kind: string;
  readonly fields: readonly TypedField[];
  readonly structs?: TypedTypes;
};

/** A message's fields in their JS form: address → checksummed string, uintN → bigint, bytes/bytesN → 0x hex. */
export type MessageFields = Record<string, unknown>;

export type TxMessage = MessageFields & { from: Address; nonce: bigint; gasLimit: bigint; gasPrice: bigint };

export type SignedTx = { chainId: bigint; kind: string; message: TxMessage; signature: Hex };

/** Maximum encoded size of one transaction. */
export const MAX_TX_BYTES = 256 * 1024;

const UINT256_MAX = (1n << 256n) - 1n;

function invalid(path: string, expected: string): never {
  throw new ChainError('INVALID_TX', `${path}: expected ${expected}`);
}

/** Knows every message kind's types; encodes, decodes and hashes transactions and message bodies. */
export class MessageRegistry {
  private readonly kinds = new Map<string, { type: MessageType; types: TypedTypes; bodyTypes: TypedTypes }>();

  register(type: MessageType): void {
    if (this.kinds.has(type.kind)) throw new Error(`message kind ${type.kind} registered twice`);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(type.kind))
      throw new Error(`message kind ${type.kind} must be a type name`);
    const types: TypedTypes = {
      ...(type.structs ?? {}),
      [type.kind]: [...TX_ENVELOPE_FIELDS, ...type.fields],
    };
    const bodyTypes: TypedTypes = { ...(type.structs ?? {}), [type.kind]: type.fields };
    this.kinds.set(type.kind, { type, types, bodyTypes });
  }

  has(kind: string): boolean {
    return this.kinds.has(kind);
  }

  list(): MessageType[] {
    return [...this.kinds.values()].map((k) => k.type);
  }

  /** The EIP-712 `types` for a kind, as a wallet's eth_signTypedData_v4 wants them. */
  typesOf(kind: string): TypedTypes {
    return this.entry(kind).types;
  }

  private entry(kind: string) {
    const e = this.kinds.get(kind);
    if (!e) {
      throw new ChainError('UNKNOWN_MESSAGE', `unknown message kind "${String(kind).slice(0, 64)}"`, {
        metaMessages: [`Known kinds: ${[...this.kinds.keys()].join(', ')}`],
      });
    }
    return e;
  }

  /** The EIP-712 digest of a transaction: its hash. */
  digest(chainId: bigint, kind: string, message: TxMessage): Uint8Array {
    return hashTypedData({
      domain: openLedgerDomain(chainId),
      types: this.typesOf(kind),
      primaryType: kind,
      message,
    });
  }

  /**
   * Wire form: canonical encoding of [chainId, kind, [from, nonce, gasLimit, gasPrice, ...fields], signature].
   * The chainId travels beside the signed data (it is in the EIP-712 domain) so a node can say
   * "wrong chain" instead of "wrong signer".
   */
  encodeTx(tx: SignedTx): Uint8Array {
    const { types } = this.entry(tx.kind);
    return encode([
      tx.chainId,
      tx.kind,
      toValue(types, tx.kind, tx.message, 'message'),
      fromHex(tx.signature, 65),
    ]);
  }

  decodeTx(bytes: Uint8Array): SignedTx {
    if (bytes.length > MAX_TX_BYTES) {
      throw new ChainError(
        'TX_TOO_LARGE',
        `transaction is ${bytes.length} bytes, the limit is ${MAX_TX_BYTES}`,
      );
    }
    let value: Value;
    try {
      value = decode(bytes);
    } catch (cause) {
      throw new ChainError(
        'INVALID_TX',
        `transaction is not canonically encoded: ${(cause as Error).message}`,
      );
    }
    if (!Array.isArray(value) || value.length !== 4)
      invalid('transaction', 'a list [chainId, kind, fields, signature]');
    const [chainId, kind, fields, signature] = value as Value[];
    if (typeof chainId !== 'bigint' || chainId < 0n) invalid('transaction.chainId', 'an integer');
    if (typeof kind !== 'string') invalid('transaction.kind', 'a string');
    if (!(signature instanceof Uint8Array) || signature.length !== 65)
      invalid('transaction.signature', '65 bytes');
    const { types } = this.entry(kind);
    const message = fromValue(types, kind, fields, 'message') as TxMessage;
    return { chainId, kind, message, signature: toHex(signature) };
  }

  /** Canonical encoding of a message's own fields (no envelope): `Msg.body` in governance proposals. */
  encodeBody(kind: string, fields: MessageFields): Uint8Array {
    const { bodyTypes } = this.entry(kind);
    return encode(toValue(bodyTypes, kind, fields, kind));
  }

  decodeBody(kind: string, body: Uint8Array): MessageFields {
    const { bodyTypes } = this.entry(kind);
    let value: Value;
    try {
      value = decode(body);
    } catch (cause) {
      throw new ChainError(
        'INVALID_MESSAGE',
        `${kind} body is not canonically encoded: ${(cause as Error).message}`,
      );
    }
    try {
      return fromValue(bodyTypes, kind, value, kind) as MessageFields;
    } catch (e) {
      if (e instanceof ChainError) throw new ChainError('INVALID_MESSAGE', e.shortMessage);
      throw e;
    }
  }

  /** Checks and normalises user-supplied fields (JSON numbers/strings → bigint, addresses checksummed). */
  normalize(kind: string, fields: MessageFields, withEnvelope: boolean): MessageFields {
    const e = this.entry(kind);
    const types = withEnvelope ? e.types : e.bodyTypes;
    return fromValue(
      types,
      kind,
      toValue(types, kind, coerce(types, kind, fields, 'message'), 'message'),
      'message',
    ) as MessageFields;
  }
}

function toValue(types: TypedTypes, type: string, value: unknown, path: string): Value {
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) invalid(path, 'a list');
    return value.map((v, i) => toValue(types, type.slice(0, -2), v, `${path}[${i}]`));
  }
  const struct = types[type];
  if (struct) {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      invalid(path, `a ${type} object`);
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (!struct.some((f) => f.name === key)) invalid(`${path}.${key}`, `no such field in ${type}`);
    }
    return struct.map((f) => {
      if (!(f.name in obj)) invalid(`${path}.${f.name}`, `${f.type} (missing)`);
      return toValue(types, f.type, obj[f.name], `${path}.${f.name}`);
    });
  }
  switch (type) {
    case 'address':
      if (typeof value !== 'string') invalid(path, 'an address');
      try {
        return fromHex(parseAddress(value), 20);
      } catch {
        return invalid(path, 'a 0x address with a valid checksum');
      }
    case 'uint256':
    case 'uint64':
    case 'uint32': {
      const bits = BigInt(type.slice(4));
      if (
        typeof value !== 'bigint' ||
        value < 0n ||
        value > (bits === 256n ? UINT256_MAX : (1n << bits) - 1n)
      ) {
        invalid(path, `an integer in ${type} range`);
      }
      return value;
    }
    case 'bool':
      if (typeof value !== 'boolean') invalid(path, 'a boolean');
      return value;
    case 'string':
      if (typeof value !== 'string') invalid(path, 'a string');
      return value;
    case 'bytes':
    case 'bytes32': {
      if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value))
        invalid(path, '0x-prefixed hex bytes');
      const b = fromHex(value);
      if (type === 'bytes32' && b.length !== 32) invalid(path, '32 bytes');
      return b;
    }
    default:
      throw new Error(`unsupported field type ${type} at ${path}`);
  }
}

function fromValue(types: TypedTypes, type: string, value: Value | undefined, path: string): unknown {
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) invalid(path, 'a list');
    return value.map((v, i) => fromValue(types, type.slice(0, -2), v, `${path}[${i}]`));
  }
  const struct = types[type];
  if (struct) {
    if (!Array.isArray(value) || value.length !== struct.length)
      invalid(path, `a ${type} of ${struct.length} fields`);
    const out: Record<string, unknown> = {};
    struct.forEach((f, i) => {
      out[f.name] = fromValue(types, f.type, value[i], `${path}.${f.name}`);
    });
    return out;
  }
  switch (type) {
    case 'address':
      if (!(value instanceof Uint8Array) || value.length !== 20) invalid(path, '20 address bytes');
      return toChecksumAddress(value);
    case 'uint256':
    case 'uint64':
    case 'uint32': {
      const bits = BigInt(type.slice(4));
      if (typeof value !== 'bigint' || value < 0n || value > (1n << bits) - 1n) invalid(path, `a ${type}`);
      return value;
    }
    case 'bool':
      if (typeof value !== 'boolean') invalid(path, 'a boolean');
      return value;
    case 'string':
      if (typeof value !== 'string') invalid(path, 'a string');
      return value;
    case 'bytes':
      if (!(value instanceof Uint8Array)) invalid(path, 'bytes');
      return toHex(value);
    case 'bytes32':
      if (!(value instanceof Uint8Array) || value.length !== 32) invalid(path, '32 bytes');
      return toHex(value);
    default:
      throw new Error(`unsupported field type ${type} at ${path}`);
  }
}

/** JSON-friendly input: integers may come as decimal strings or safe numbers. */
function coerce(types: TypedTypes, type: string, value: unknown, path: string): unknown {
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) invalid(path, 'a list');
    return value.map((v, i) => coerce(types, type.slice(0, -2), v, `${path}[${i}]`));
  }
  const struct = types[type];
  if (struct) {
    if (value === null || typeof value !== 'object') invalid(path, `a ${type} object`);
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const f of struct)
      if (f.name in out) out[f.name] = coerce(types, f.type, out[f.name], `${path}.${f.name}`);
    return out;
  }
  if (type.startsWith('uint')) {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    if (typeof value === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(value)) return BigInt(value);
  }
  return value;
}

/** A transaction as JSON (integers as decimal strings), for RPC answers and people. */
export function jsonify(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(jsonify);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonify(v);
    return out;
  }
  return value;
}

/** Signs a transaction with a private key (tests, the devnet's demo keys; wallets sign via EIP-712). */
export function signTransaction(
  registry: MessageRegistry,
  chainId: bigint,
  kind: string,
  message: TxMessage,
  privateKey: Hex,
): SignedTx {
  const normalized = registry.normalize(kind, message, true) as TxMessage;
  const digest = registry.digest(chainId, kind, normalized);
  return { chainId, kind, message: normalized, signature: toHex(signDigest(digest, privateKey)) };
}
