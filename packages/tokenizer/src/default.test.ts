import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bpeMergeRescan, pairKey } from './bpe.js';
import { DEFAULT_TOKENIZER_HASH, defaultTokenizerPath, loadDefaultTokenizer } from './default.js';
import { PRETOKENIZE_PATTERN } from './pretokenize.js';

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

interface EncodeVectors {
  tokenizerHash: string;
  cases: { text: string; allowSpecial: boolean; ids: number[] }[];
}

test('the shipped vocabulary encodes the pinned vectors', () => {
  const vectors = JSON.parse(
    readFileSync(new URL('../test/vectors/encode.json', import.meta.url), 'utf8'),
  ) as EncodeVectors;
  const tokenizer = loadDefaultTokenizer();
  assert.equal(vectors.tokenizerHash, tokenizer.hash);
  assert.ok(vectors.cases.length >= 8);
  for (const { text, allowSpecial, ids } of vectors.cases) {
    assert.deepEqual(tokenizer.encode(text, { allowSpecial }), ids, text);
    assert.equal(tokenizer.decode(ids), text);
  }
});

test('encode equals the reference (regex split, rescan merges, no cache) on the demo Datanet text', () => {
  const tokenizer = loadDefaultTokenizer();
  const ranks = new Map(tokenizer.file.merges.map(([a, b], rank) => [pairKey(a, b), rank]));
  const firstMergeId = 256 + tokenizer.specialTokens.length;
  const utf8 = new TextEncoder();
  const text = readFileSync(new URL('../../../data/datanets/computing/01-ada.txt', import.meta.url), 'utf8');
  const reference = (text.match(new RegExp(PRETOKENIZE_PATTERN.source, 'g')) ?? []).flatMap((piece) =>
    bpeMergeRescan(utf8.encode(piece), ranks, firstMergeId),
  );
  const ids = tokenizer.encode(text);
  assert.ok(ids.length > 10_000);
  assert.deepEqual(ids, reference);
});
