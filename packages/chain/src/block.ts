import {
  type Address,
  concatBytes,
  decode,
  encode,
  fromHex,
  type Hex,
  keccak256,
  readBigint,
  readBytes,
  readList,
  readNumber,
  recoverAddress,
  sha256,
  signDigest,
  toChecksumAddress,
  toHex,
  type Value,
} from '@openledger/core';
import { ChainError } from './errors.js';
import type { ChainEvent } from './events.js';

/** A block header (DESIGN §3 Blocks). `time` is unix seconds from the proposer, monotonic. */
export type BlockHeader = {
  chainId: bigint;
  height: number;
  time: bigint;
  parentHash: Hex;
  txRoot: Hex;
  resultsRoot: Hex;
  stateRoot: Hex;
  proposer: Address;
};

export type SignedHeader = BlockHeader & { hash: Hex; signature: Hex };

export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;

function headerValue(h: BlockHeader): Value {
  return [
    h.chainId,
    BigInt(h.height),
    h.time,
    fromHex(h.parentHash, 32),
    fromHex(h.txRoot, 32),
    fromHex(h.resultsRoot, 32),
    fromHex(h.stateRoot, 32),
    fromHex(h.proposer, 20),
  ];
}

/** The header hash: keccak-256 of the canonical encoding of the header fields in order. */
export function headerHash(h: BlockHeader): Hex {
  return toHex(keccak256(encode(headerValue(h))));
}

export function signHeader(h: BlockHeader, privateKey: Hex): SignedHeader {
  const hash = headerHash(h);
  return { ...h, hash, signature: toHex(signDigest(fromHex(hash), privateKey)) };
}

/** Checks the hash and that the proposer's signature recovers to `expectedSigner`. */
export function verifyHeaderSignature(h: SignedHeader, expectedSigner: Address): void {
  const hash = headerHash(h);
  if (hash !== h.hash) throw new ChainError('INVALID_BLOCK', `block ${h.height}: header hash mismatch`);
  let signer: Address;
  try {
    signer = recoverAddress(fromHex(hash), fromHex(h.signature));
  } catch (e) {
    throw new ChainError('INVALID_BLOCK', `block ${h.height}: bad signature: ${(e as Error).message}`);
  }
  if (signer !== expectedSigner) {
    throw new ChainError(
      'INVALID_BLOCK',
      `block ${h.height} is signed by ${signer}, not the sequencer ${expectedSigner}`,
    );
  }
}

export function encodeSignedHeader(h: SignedHeader): Uint8Array {
  return encode([headerValue(h), fromHex(h.signature, 65)]);
}

export function decodeSignedHeader(bytes: Uint8Array): SignedHeader {
  const [hv, sig] = readList(decode(bytes), 'block', 2);
  const f = readList(hv, 'header', 8);
  const header: BlockHeader = {
    chainId: readBigint(f[0], 'chainId'),
    height: readNumber(f[1], 'height'),
    time: readBigint(f[2], 'time'),
    parentHash: toHex(readBytes(f[3], 'parentHash', 32)),
    txRoot: toHex(readBytes(f[4], 'txRoot', 32)),
    resultsRoot: toHex(readBytes(f[5], 'resultsRoot', 32)),
    stateRoot: toHex(readBytes(f[6], 'stateRoot', 32)),
    proposer: toChecksumAddress(readBytes(f[7], 'proposer', 20)),
  };
  return { ...header, hash: headerHash(header), signature: toHex(readBytes(sig, 'signature', 65)) };
}

/**
 * RFC 6962 Merkle tree hash over leaves: leaf = sha256(0x00‖data), node = sha256(0x01‖l‖r),
 * empty = sha256(""). Used for transaction and result roots.
 */
export function merkleRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  let level = leaves.map((l) => sha256(concatBytes(Uint8Array.of(0), l)));
  // RFC 6962 splits at the largest power of two below n; building bottom-up by pairing and
  // promoting the odd last node gives the same tree.
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(sha256(concatBytes(Uint8Array.of(1), level[i]!, level[i + 1]!)));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** A transaction's result in a block (its receipt). */
export type TxReceipt = {
  txHash: Hex;
  height: number;
  index: number;
  kind: string;
  from: Address;
  status: 'ok' | 'failed';
  /** Error code when failed (the message's changes rolled back; gas was paid). */
  code?: string;
  error?: string;
  gasUsed: bigint;
  gasPrice: bigint;
  events: ChainEvent[];
};

function eventValue(e: ChainEvent): Value {
  return [e.type, e.attributes.map(([k, v]) => [k, v])];
}

export function encodeReceipt(r: TxReceipt): Uint8Array {
  return encode([
    fromHex(r.txHash, 32),
    BigInt(r.height),
    BigInt(r.index),
    r.kind,
    fromHex(r.from, 20),
    r.status === 'ok',
    r.code ?? '',
    r.error ?? '',
    r.gasUsed,
    r.gasPrice,
    r.events.map(eventValue),
  ]);
}

export function decodeReceipt(bytes: Uint8Array): TxReceipt {
  const f = readList(decode(bytes), 'receipt', 11);
  const events = readList(f[10], 'events').map((e) => {
    const [type, attrs] = readList(e, 'event', 2);
    return {
      type: type as string,
      attributes: readList(attrs, 'attributes').map((a) => readList(a, 'attribute', 2) as [string, string]),
    };
  });
  const receipt: TxReceipt = {
    txHash: toHex(readBytes(f[0], 'txHash', 32)),
    height: readNumber(f[1], 'height'),
    index: readNumber(f[2], 'index'),
    kind: f[3] as string,
    from: toChecksumAddress(readBytes(f[4], 'from', 20)),
    status: f[5] === true ? 'ok' : 'failed',
    gasUsed: readBigint(f[8], 'gasUsed'),
    gasPrice: readBigint(f[9], 'gasPrice'),
    events,
  };
  if (f[6]) receipt.code = f[6] as string;
  if (f[7]) receipt.error = f[7] as string;
  return receipt;
}

/** resultsRoot commits to every receipt of the block, so followers compare outcomes, not only state. */
export function resultsRoot(receipts: TxReceipt[]): Hex {
  return toHex(merkleRoot(receipts.map(encodeReceipt)));
}

export function txRoot(txHashes: Hex[]): Hex {
  return toHex(merkleRoot(txHashes.map((h) => fromHex(h))));
}
