import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getAddress } from 'viem';
import { moduleAddress, parseAddress, toChecksumAddress } from './address.js';
import { toHex } from './bytes.js';

// The test vectors of EIP-55 itself.
const EIP55 = [
  '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
  '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
  '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  '0x52908400098527886E0F7030069857D2E4169EE7',
  '0x8617E340B3D01FA5F11F306F4090FD50E238070D',
  '0xde709f2102306220921060314715629080e2fb77',
  '0x27b1fdb04752bbc536007a920d24acb045561c26',
];

test('EIP-55 vectors', () => {
  for (const a of EIP55) {
    assert.equal(toChecksumAddress(a.toLowerCase()), a);
    assert.equal(parseAddress(a), a);
  }
});

test('checksums agree with viem for random addresses', () => {
  for (let i = 0; i < 200; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(20));
    assert.equal(toChecksumAddress(bytes), getAddress(toHex(bytes)));
  }
});

test('a mixed-case address with a wrong checksum is refused with a hint', () => {
  const wrong = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD';
  assert.throws(
    () => parseAddress(wrong),
    /wrong EIP-55 checksum[\s\S]*Did you mean 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed/,
  );
  assert.throws(() => parseAddress('0x1234'), /invalid address/);
  assert.throws(() => parseAddress('5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'), /invalid address/);
});

test('module addresses are distinct and stable', () => {
  assert.notEqual(moduleAddress('treasury'), moduleAddress('fee_collector'));
  assert.equal(moduleAddress('treasury'), moduleAddress('treasury'));
});
