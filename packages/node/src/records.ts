import {
  type ChainEvent,
  decodeReceipt,
  decodeSignedHeader,
  encodeReceipt,
  encodeSignedHeader,
  type SignedHeader,
  type TxReceipt,
} from '@openledger/chain';
import {
  decode,
  encode,
  fromHex,
  type Hex,
  readBytes,
  readList,
  readNumber,
  u64be,
  utf8,
  type Value,
} from '@openledger/core';

/**
 * Non-state records the node keeps beside the state (written in the same atomic batch as the
 * block's state): blocks with their raw transactions, transaction locations, receipts, block
 * events, and an index of transactions by sender.
 */
const p = (s: string) => utf8(s);
export const RECORD = {
  block: (height: number) => concat(p('b/h/'), u64be(height)),
  blockByHash: (hash: Hex) => concat(p('b/x/'), fromHex(hash, 32)),
  tx: (hash: Hex) => concat(p('t/'), fromHex(hash, 32)),
  receipt: (hash: Hex) => concat(p('r/'), fromHex(hash, 32)),
  blockEvents: (height: number) => concat(p('e/'), u64be(height)),
  senderTx: (sender: Hex, height: number, index: number) =>
    concat(p('a/'), fromHex(sender, 20), u64be(height), u64be(index)),
  senderPrefix: (sender: Hex) => concat(p('a/'), fromHex(sender, 20)),
  genesis: p('meta/genesis'),
};

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

export type StoredBlock = { header: SignedHeader; txs: Uint8Array[] };

export function encodeBlock(b: StoredBlock): Uint8Array {
  return encode([encodeSignedHeader(b.header), b.txs]);
}

export function decodeBlock(bytes: Uint8Array): StoredBlock {
  const [h, txs] = readList(decode(bytes), 'block', 2);
  return {
    header: decodeSignedHeader(readBytes(h, 'header')),
    txs: readList(txs, 'txs').map((t, i) => readBytes(t, `txs[${i}]`)),
  };
}

export function encodeLocation(height: number, index: number): Uint8Array {
  return encode([BigInt(height), BigInt(index)]);
}

export function decodeLocation(bytes: Uint8Array): { height: number; index: number } {
  const [h, i] = readList(decode(bytes), 'location', 2);
  return { height: readNumber(h), index: readNumber(i) };
}

export function encodeEvents(events: ChainEvent[]): Uint8Array {
  return encode(events.map((e) => [e.type, e.attributes.map(([k, v]) => [k, v])] as Value));
}

export function decodeEvents(bytes: Uint8Array): ChainEvent[] {
  return readList(decode(bytes)).map((e) => {
    const [type, attrs] = readList(e, 'event', 2);
    return {
      type: type as string,
      attributes: readList(attrs).map((a) => readList(a, 'attr', 2) as [string, string]),
    };
  });
}

export { decodeReceipt, encodeReceipt, type TxReceipt };
