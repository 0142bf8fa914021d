// span check on a LoRA training checkpoint (params.safetensors with name#A / name#B keys)

import { readFileSync } from 'node:fs';
import { loadDefaultTokenizer } from '@openledger/tokenizer';
import {
  loadModel,
  readRows,
  readSafetensors,
  spanEval,
} from '/work/wt-engine/packages/engine/dist/index.js';

const tok = loadDefaultTokenizer();
const base = loadModel('/work/wt-engine/models/base', { tokenizer: tok });
const st = readSafetensors(readFileSync('/work/wt-engine/models/demo-adapter/checkpoint/params.safetensors'));
const job = JSON.parse(readFileSync('/work/wt-engine/models/demo-adapter/job.json', 'utf8'));
const pairs = new Map();
for (const [k, t] of st.tensors) {
  const [name, w] = k.split('#');
  const p = pairs.get(name) ?? {};
  p[w === 'A' ? 'a' : 'b'] = t.data;
  pairs.set(name, p);
}
const ad = { config: job.lora, pairs };
const r = await spanEval(
  base.withAdapter(ad),
  tok,
  readRows('/work/wt-engine/data/datanets'),
  Number(process.argv[2] ?? 20),
);
console.log('hits', r.hits, '/', r.cases.length);
for (const c of r.cases.slice(0, 6))
  console.log(c.longestSpan, c.contextHasRow, c.question, '=>', c.answer.slice(0, 100));
