#!/usr/bin/env node
// Trains the shipped tokenizer: byte-level BPE, vocabulary 4,096, on data/base/gcide.txt plus every demo
// Datanet file (in manifest order), and writes the canonical file to
// packages/tokenizer/vocab/openledger-bpe-4096.json. Prints its hash and updates DEFAULT_TOKENIZER_HASH in
// packages/tokenizer/src/default.ts. Deterministic: the same data gives the same bytes.
// Usage: npm run build && node scripts/train-tokenizer.mjs [--check]
//   --check  train, then compare with the shipped file instead of writing (exit 1 if they differ)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer, tokenizerFileBytes, trainBpe } from '../packages/tokenizer/dist/index.js';

const VOCAB_SIZE = 4096;
/**
 * The demo Datanet text (about 0.45 MB) is counted this many times against the base corpus (5.3 MB), so that
 * computing terms ("compiler", "kernel", "TCP") become single tokens: it costs the base corpus about 2.4% in
 * bytes per token and gains the computing Datanet about 11%.
 */
const DATANET_WEIGHT = 8;
const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const vocabPath = join(root, 'packages/tokenizer/vocab/openledger-bpe-4096.json');
const defaultSource = join(root, 'packages/tokenizer/src/default.ts');

const manifest = JSON.parse(readFileSync(join(root, 'data/datanets/manifest.json'), 'utf8'));
const sources = ['data/base/gcide.txt'];
for (const datanet of manifest.datanets)
  for (const file of datanet.files) sources.push(`data/datanets/${file.file}`);
const texts = sources.map((path) => readFileSync(join(root, path), 'utf8'));
const corpus = [texts[0], ...Array.from({ length: DATANET_WEIGHT }, () => texts.slice(1)).flat()];
const bytesPerToken = (tokenizer, parts) => {
  const bytes = parts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const tokens = parts.reduce((sum, text) => sum + tokenizer.encode(text).length, 0);
  return { bytes, tokens, bytesPerToken: Number((bytes / tokens).toFixed(3)) };
};

const started = performance.now();
let lastReport = 0;
const file = trainBpe(corpus, {
  vocabSize: VOCAB_SIZE,
  onProgress: (done, total) => {
    if (process.stderr.isTTY && (done - lastReport >= 64 || done === total)) {
      lastReport = done;
      process.stderr.write(`\rmerges ${done}/${total}`);
    }
  },
});
if (process.stderr.isTTY) process.stderr.write('\n');
const seconds = (performance.now() - started) / 1000;
const bytes = tokenizerFileBytes(file);
const tokenizer = Tokenizer.fromFile(bytes);

const report = {
  sources,
  datanetWeight: DATANET_WEIGHT,
  vocabSize: file.vocabSize,
  trainSeconds: Number(seconds.toFixed(2)),
  base: bytesPerToken(tokenizer, texts.slice(0, 1)),
  datanets: Object.fromEntries(
    manifest.datanets.map((datanet) => [
      datanet.name,
      bytesPerToken(
        tokenizer,
        datanet.files.map((f) => texts[sources.indexOf(`data/datanets/${f.file}`)]),
      ),
    ]),
  ),
  hash: tokenizer.hash,
};
console.log(JSON.stringify(report, null, 2));

if (check) {
  const shipped = readFileSync(vocabPath);
  if (!shipped.equals(Buffer.from(bytes))) {
    console.error(`the shipped ${vocabPath} differs from a fresh training (hash ${tokenizer.hash})`);
    process.exit(1);
  }
  console.error('the shipped vocabulary is reproduced byte for byte');
} else {
  writeFileSync(vocabPath, bytes);
  const source = readFileSync(defaultSource, 'utf8');
  const updated = source.replace(
    /export const DEFAULT_TOKENIZER_HASH = '[^']*';/,
    `export const DEFAULT_TOKENIZER_HASH = '${tokenizer.hash}';`,
  );
  writeFileSync(defaultSource, updated);
  console.error(`wrote ${vocabPath}; run \`npm run build\` to pick up the new DEFAULT_TOKENIZER_HASH`);
}
