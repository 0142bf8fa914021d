import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { TokenizerError, type TokenizerErrorCode } from './errors.js';
import { hashTokenizerFile, parseTokenizerFile, serializeTokenizerFile, tokenizerFileBytes } from './file.js';
import { TEST_CORPUS } from './test-corpus.js';
import { Tokenizer } from './tokenizer.js';
import { trainBpe } from './train.js';

const file = trainBpe(TEST_CORPUS, { vocabSize: 300 });
const text = serializeTokenizerFile(file);

function expectCode(code: TokenizerErrorCode, fn: () => unknown): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TokenizerError, `expected a TokenizerError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

test('the canonical text has the documented layout', () => {
  const lines = text.split('\n');
  assert.equal(lines[0], '{');
  assert.equal(lines[1], '  "format": "openledger-bpe",');
  assert.equal(lines[2], '  "version": 1,');
  assert.equal(lines[3], '  "pretokenizer": "openledger-ascii-v1",');
  assert.equal(lines[4], '  "vocabSize": 300,');
  assert.equal(lines[5], '  "byteTokens": 256,');
  assert.equal(lines[7], '    { "id": 256, "text": "<|bos|>" },');
  assert.ok(text.endsWith(`    [${file.merges.at(-1)!.join(', ')}]\n  ]\n}\n`));
  assert.deepEqual(JSON.parse(text).merges, file.merges);
});

test('parse → serialise is byte-identical and the hash is sha256 of the bytes', () => {
  const bytes = tokenizerFileBytes(file);
  const parsed = parseTokenizerFile(bytes);
  assert.deepEqual(tokenizerFileBytes(parsed), bytes);
  const expected = createHash('sha256').update(bytes).digest('hex');
  assert.equal(hashTokenizerFile(parsed), expected);
  assert.equal(Tokenizer.fromFile(text).hash, expected);
  assert.match(expected, /^[0-9a-f]{64}$/);
});

test('corrupt files give clear errors', () => {
  expectCode('TOKENIZER_FILE_INVALID_UTF8', () => parseTokenizerFile(Uint8Array.of(0x7b, 0xff, 0x7d)));
  expectCode('TOKENIZER_FILE_INVALID_JSON', () => parseTokenizerFile(text.slice(0, text.length - 10)));
  expectCode('TOKENIZER_FILE_INVALID_JSON', () => parseTokenizerFile(''));
  expectCode('TOKENIZER_FILE_INVALID_JSON', () => parseTokenizerFile(`\ufeff${text}`));
  expectCode('TOKENIZER_FILE_INVALID', () => parseTokenizerFile('[]'));
  expectCode('TOKENIZER_FILE_INVALID', () => parseTokenizerFile('{}'));
  // Not canonical: reformatted, CRLF, missing final newline.
  expectCode('TOKENIZER_FILE_NOT_CANONICAL', () => parseTokenizerFile(JSON.stringify(JSON.parse(text))));
  expectCode('TOKENIZER_FILE_NOT_CANONICAL', () => parseTokenizerFile(text.replaceAll('\n', '\r\n')));
  expectCode('TOKENIZER_FILE_NOT_CANONICAL', () => parseTokenizerFile(text.trimEnd()));
});

test('files that break the format rules are refused', () => {
  const mutate = (change: (value: Record<string, unknown> & { merges: number[][] }) => void): string => {
    const value = JSON.parse(text);
    change(value);
    return JSON.stringify(value);
  };
  const cases: [string, string][] = [
    ['wrong format', mutate((v) => (v.format = 'other'))],
    ['future version', mutate((v) => (v.version = 2))],
    ['other pre-tokeniser', mutate((v) => (v.pretokenizer = 'gpt2'))],
    ['vocabSize mismatch', mutate((v) => (v.vocabSize = 301))],
    ['byteTokens', mutate((v) => (v.byteTokens = 255))],
    ['merge refers to a later id', mutate((v) => (v.merges[0] = [299, 32]))],
    ['merge uses a special token', mutate((v) => (v.merges[0] = [256, 32]))],
    ['merge with a negative id', mutate((v) => (v.merges[0] = [-1, 32]))],
    ['merge with a fractional id', mutate((v) => (v.merges[0] = [32.5, 32]))],
    ['merge not a pair', mutate((v) => (v.merges[0] = [32]))],
    ['repeated merge', mutate((v) => (v.merges[1] = v.merges[0]!))],
    [
      'fixed special token renamed',
      mutate((v) => ((v.specialTokens as { text: string }[])[1]!.text = '<|end|>')),
    ],
    ['special token id shifted', mutate((v) => ((v.specialTokens as { id: number }[])[0]!.id = 300))],
    ['missing key', mutate((v) => delete v.byteTokens)],
    ['extra key', mutate((v) => (v.extra = 1))],
  ];
  for (const [name, bad] of cases) {
    assert.throws(
      () => parseTokenizerFile(bad),
      (error: unknown) => error instanceof TokenizerError && error.code === 'TOKENIZER_FILE_INVALID',
      name,
    );
  }
});

test('a hash that does not match is refused', () => {
  expectCode('TOKENIZER_HASH_MISMATCH', () => Tokenizer.fromFile(text, { expectedHash: '00'.repeat(32) }));
  assert.equal(Tokenizer.fromFile(text, { expectedHash: hashTokenizerFile(file) }).vocabSize, 300);
});
