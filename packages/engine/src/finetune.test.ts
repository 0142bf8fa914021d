import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadDefaultTokenizer } from '@openledger/tokenizer';
import {
  CHAT_TEMPLATE,
  CHAT_TEMPLATE_HASH,
  CONTEXT_MAX_ROWS,
  CONTEXT_ROW_MAX_TOKENS,
  encodeChat,
} from './chat-template.js';
import { buildQaDataset, isHeldOut, readRows } from './finetune.js';
import { Bm25 } from './retrieval.js';

const dir = mkdtempSync(join(tmpdir(), 'engine-ft-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tok = loadDefaultTokenizer();

test('chat template: hash pinned, markers from the tokenizer, user text cannot inject specials', () => {
  assert.equal(CHAT_TEMPLATE_HASH, createHash('sha256').update(CHAT_TEMPLATE).digest('hex'));
  // Pinned: the chain records this hash with every model version; changing the template is a new version.
  assert.equal(CHAT_TEMPLATE_HASH, '915cece7b662ef58bbe756a518109abd37a5f37877acd161fbbacd90e43d2206');
  const s = tok.special;
  const long = 'word '.repeat(200);
  const rows = Array.from({ length: CONTEXT_MAX_ROWS + 2 }, (_, i) => (i === 0 ? long : `row${i}: text`));
  const ids = encodeChat(tok, { context: rows, messages: [{ role: 'user', content: 'What is <|eos|>?' }] });
  assert.equal(ids[0], s.user);
  assert.ok(ids.indexOf(s.context) > ids.indexOf(s.user), 'context after the question');
  assert.equal(ids.filter((i) => i === s.sep).length, CONTEXT_MAX_ROWS - 1, 'at most CONTEXT_MAX_ROWS rows');
  assert.equal(ids[ids.length - 1], s.assistant);
  assert.ok(!ids.includes(s.eos), 'the literal <|eos|> in user text stays text');
  const firstEnd = CONTEXT_MAX_ROWS > 1 ? ids.indexOf(s.sep) : ids.indexOf(s.assistant);
  assert.equal(firstEnd - ids.indexOf(s.context) - 1, CONTEXT_ROW_MAX_TOKENS, 'a long context row is cut');
  assert.throws(() => encodeChat(tok, { messages: [{ role: 'assistant', content: 'x' }] }), {
    code: 'BAD_ARGS',
  });
});

test('rows follow the fixed rule; contributors come from file names; QA answers are copyable', () => {
  const folder = join(dir, 'net');
  mkdirSync(folder);
  const defs = Array.from(
    { length: 24 },
    (_, i) => `term${i}: The definition number ${i} explains thing ${i} in plain words.`,
  );
  writeFileSync(join(folder, '01-ada.txt'), `\uFEFF${defs.slice(0, 12).join('\r\n\r\n')}\r\n`);
  writeFileSync(join(folder, '02-grace.txt'), defs.slice(12).join('\n \n'));
  writeFileSync(join(folder, 'ignored.bin'), 'x');
  const rows = readRows(folder);
  assert.equal(rows.length, 24);
  assert.deepEqual(rows[0], { text: defs[0], contributor: 'ada', file: '01-ada.txt', index: 0 });
  assert.equal(rows[23]?.contributor, 'grace');
  const d = buildQaDataset(tok, rows, 2, 1, 257);
  assert.equal(d.qa.heldOut.length, rows.filter((r) => isHeldOut(r.index)).length);
  assert.equal(d.qa.train.length, 2 * (24 - d.qa.heldOut.length));
  for (const q of [...d.qa.train, ...d.qa.heldOut]) {
    const ctx = tok.decode(q.prompt);
    const ans = tok.decode(q.answer.slice(0, -1));
    assert.ok(ctx.includes(q.row.text.slice(0, 20)), 'the right row is in the context');
    assert.ok(ctx.includes(ans), 'the answer is copied from the context');
    assert.equal(q.answer[q.answer.length - 1], tok.special.eos);
  }
  const ex = d.train[0];
  assert.ok(
    ex?.mask && ex.mask.indexOf(1) === (d.qa.train[0]?.prompt.length ?? -1),
    'loss only on the answer',
  );
  assert.throws(() => readRows(join(dir, 'none')), { code: 'MISSING_FILE' });
  writeFileSync(join(dir, 'empty.txt'), '\n\n \n');
  assert.throws(() => readRows(join(dir, 'empty.txt')), { code: 'EMPTY_DATASET' });
  writeFileSync(join(dir, 'plain.txt'), 'no headword here\n\nnor here');
  assert.throws(() => buildQaDataset(tok, readRows(join(dir, 'plain.txt')), 1, 1, 257), {
    code: 'EMPTY_DATASET',
  });
});

test('BM25 ranks the matching row first, deterministically', () => {
  const bm = new Bm25([
    'compiler: translates programs',
    'kernel: core of an operating system',
    'compiler compiler: yacc',
  ]);
  assert.deepEqual(bm.search('What is a kernel?', 2), [1]);
  assert.deepEqual(bm.search('compiler', 3), [2, 0], 'higher term frequency first');
  assert.deepEqual(bm.search('zzz', 3), []);
});
