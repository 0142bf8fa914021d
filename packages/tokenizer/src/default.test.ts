import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_TOKENIZER_HASH, defaultTokenizerPath, loadDefaultTokenizer } from './default.js';

test('the shipped vocabulary has the committed hash and is canonical', () => {
  const bytes = readFileSync(defaultTokenizerPath());
  assert.equal(createHash('sha256').update(bytes).digest('hex'), DEFAULT_TOKENIZER_HASH);
  const tokenizer = loadDefaultTokenizer();
  assert.equal(tokenizer.hash, DEFAULT_TOKENIZER_HASH);
  assert.equal(tokenizer.vocabSize, 4096);
  assert.deepEqual(Buffer.from(tokenizer.serialize()), bytes);
  assert.equal(loadDefaultTokenizer(), tokenizer);
});

test('the shipped vocabulary knows computing words', () => {
  const tokenizer = loadDefaultTokenizer();
  for (const word of [' compiler', ' computer', ' program', ' language', ' definition']) {
    assert.equal(tokenizer.encode(word).length, 1, word);
  }
  const text = 'What is a compiler? A program that translates source code into machine code.';
  assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
});
