import { loadDefaultTokenizer } from '@openledger/tokenizer';
import { buildQaDataset, readRows } from './dist/finetune.js';

const tok = loadDefaultTokenizer();
const rows = readRows('../../data/datanets/computing');
console.log(
  'rows',
  rows.length,
  rows.filter((r) => !/^[^\n]{1,80}: /.test(r.text)).length,
  'without headword',
);
const t = performance.now();
const d = buildQaDataset(tok, rows, 2, 7, 256);
console.log('train', d.train.length, 'held', d.heldOut.length, (performance.now() - t).toFixed(0), 'ms');
const lens = d.train.map((e) => e.ids.length).sort((a, b) => a - b);
console.log('len median', lens[lens.length >> 1], 'max', lens[lens.length - 1]);
const q = d.qa.train[0];
console.log(JSON.stringify(tok.decode(q.prompt)), '\n=>', JSON.stringify(tok.decode(q.answer)));
const q2 = d.qa.heldOut[3];
console.log(JSON.stringify(tok.decode(q2.prompt)), '\n=>', JSON.stringify(tok.decode(q2.answer)));
