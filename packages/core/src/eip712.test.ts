import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { recoverTypedDataAddress, hashTypedData as viemHashTypedData } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { toChecksumAddress } from './address.js';
import { fromHex, toHex } from './bytes.js';
import { encodeType, hashTypedData, openLedgerDomain, type TypedTypes } from './eip712.js';
import { privateKeyToAddress, recoverAddress, signDigest } from './keys.js';

const types = {
  Propose: [
    { name: 'from', type: 'address' },
    { name: 'nonce', type: 'uint256' },
    { name: 'gasLimit', type: 'uint256' },
    { name: 'gasPrice', type: 'uint256' },
    { name: 'title', type: 'string' },
    { name: 'messages', type: 'Msg[]' },
    { name: 'id', type: 'bytes32' },
    { name: 'flag', type: 'bool' },
  ],
  Msg: [
    { name: 'kind', type: 'string' },
    { name: 'body', type: 'bytes' },
  ],
} as const satisfies TypedTypes;

test('encodeType lists referenced structs sorted after the primary type', () => {
  assert.equal(
    encodeType(types, 'Propose'),
    'Propose(address from,uint256 nonce,uint256 gasLimit,uint256 gasPrice,string title,Msg[] messages,bytes32 id,bool flag)Msg(string kind,bytes body)',
  );
});

const hexBytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => toHex(b));
const messageArb = fc.record({
  from: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => toChecksumAddress(b)),
  nonce: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  gasLimit: fc.bigInt({ min: 0n, max: 1n << 64n }),
  gasPrice: fc.bigInt({ min: 0n, max: 1n << 128n }),
  title: fc.string({ unit: 'grapheme', maxLength: 50 }),
  messages: fc.array(fc.record({ kind: fc.string({ maxLength: 12 }), body: hexBytes(80) }), { maxLength: 4 }),
  id: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b)),
  flag: fc.boolean(),
});

test('our digest equals viem hashTypedData for random messages', () => {
  fc.assert(
    fc.property(messageArb, fc.bigInt({ min: 1n, max: 1n << 64n }), (message, chainId) => {
      const domain = openLedgerDomain(chainId);
      const ours = toHex(hashTypedData({ domain, types, primaryType: 'Propose', message }));
      const theirs = viemHashTypedData({ domain, types, primaryType: 'Propose', message });
      assert.equal(ours, theirs);
    }),
    { numRuns: 300 },
  );
});

test('viem signTypedData signatures recover to the signer; ours recover in viem', async () => {
  const key = '0x8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f';
  const account = privateKeyToAccount(key);
  const domain = openLedgerDomain(1337n);
  const message = {
    from: account.address,
    nonce: 7n,
    gasLimit: 100000n,
    gasPrice: 1n,
    title: 'raise quorum',
    messages: [{ kind: 'SetParams', body: '0x0102' as const }],
    id: toHex(new Uint8Array(32).fill(9)),
    flag: true,
  };
  const signature = await account.signTypedData({ domain, types, primaryType: 'Propose', message });
  const digest = hashTypedData({ domain, types, primaryType: 'Propose', message });
  assert.equal(recoverAddress(digest, fromHex(signature)), account.address);

  const ours = signDigest(digest, key);
  assert.equal(privateKeyToAddress(key), account.address);
  const recovered = await recoverTypedDataAddress({
    domain,
    types,
    primaryType: 'Propose',
    message,
    signature: toHex(ours),
  });
  assert.equal(recovered, account.address);
});

test('bad field values are refused with the field name', () => {
  const domain = openLedgerDomain(1n);
  const message = {
    from: '0x12',
    nonce: 1n,
    gasLimit: 1n,
    gasPrice: 1n,
    title: '',
    messages: [],
    id: '0x',
    flag: true,
  };
  assert.throws(() => hashTypedData({ domain, types, primaryType: 'Propose', message }), /invalid address/);
  assert.throws(
    () =>
      hashTypedData({
        domain,
        types,
        primaryType: 'Propose',
        message: { ...message, from: toChecksumAddress(new Uint8Array(20)), nonce: -1n },
      }),
    /field "nonce" of type uint256/,
  );
});
