import { rmSync } from 'node:fs';
import { loadDefaultTokenizer } from '@openledger/tokenizer';
import { finetune } from './dist/finetune.js';
import { saveModel } from './dist/io.js';
import { initWeights } from './dist/params.js';

const tok = loadDefaultTokenizer();
const cfg = {
  vocabSize: 4096,
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  dFF: 128,
  contextLength: 256,
  ropeTheta: 10000,
  normEps: 1e-5,
  tieEmbeddings: true,
};
rmSync('/tmp/ft-smoke', { recursive: true, force: true });
saveModel('/tmp/ft-smoke/base', cfg, initWeights(cfg, 1), tok.hash);
const r = await finetune({
  rowsPath: '/tmp/rows-small.txt',
  baseDir: '/tmp/ft-smoke/base',
  outDir: '/tmp/ft-smoke/ad',
  tokenizer: tok,
  contextLength: 256,
  hyper: { steps: 4, batchSize: 4, evalEvery: 2, evalExamples: 4 },
  restartEvery: 3,
  onEvent: (e) => console.log(JSON.stringify(e)),
});
console.log(r);
