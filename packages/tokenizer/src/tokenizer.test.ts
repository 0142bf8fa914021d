import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TokenizerError } from './errors.js';
import { pretokenize } from './pretokenize.js';
import { DEFAULT_SPECIAL_TOKENS, SPECIAL_TOKEN_IDS } from './special.js';
import { TEST_CORPUS } from './test-corpus.js';
import { Tokenizer } from './tokenizer.js';
import { trainBpe } from './train.js';

const tokenizer = Tokenizer.fromTokenizerFile(trainBpe(TEST_CORPUS, { vocabSize: 600 }));
const utf8 = new TextEncoder();

/** Strings mixing random Unicode (astral, lone combining marks), corpus words and special-token text. */
const mixedText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom('\u0301', '\u0308x', 'e\u0301', '🎉', '𝔘𝔫𝔦', ' ', '\n\n', '  ', "'s"),
      fc.constantFrom(...TEST_CORPUS),
      fc.constantFrom(...DEFAULT_SPECIAL_TOKENS),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

test('decode(encode(text)) === text for any well-formed string', () => {
  fc.assert(
    fc.property(mixedText, fc.boolean(), (text, allowSpecial) => {
      const ids = tokenizer.encode(text, { allowSpecial });
      assert.equal(tokenizer.decode(ids), text);
      assert.deepEqual(tokenizer.decodeBytes(ids), utf8.encode(text));
      for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < tokenizer.vocabSize);
    }),
    { numRuns: 400, seed: 42 },
  );
});

test('encoding is the concatenation of the pre-token encodings (merges never cross pieces)', () => {
  fc.assert(
    fc.property(mixedText, (text) => {
      const pieces = pretokenize(text).flatMap((piece) => tokenizer.encode(piece));
      assert.deepEqual(tokenizer.encode(text), pieces);
    }),
    { numRuns: 200, seed: 5 },
  );
});

test('trained merges make common words single tokens', () => {
  const ids = tokenizer.encode(' compiler');
  assert.equal(ids.length, 1);
  assert.equal(tokenizer.decode(ids), ' compiler');
  assert.ok(tokenizer.encode(TEST_CORPUS.join('\n')).length < utf8.encode(TEST_CORPUS.join('\n')).length / 2);
});

test('the empty string', () => {
  assert.deepEqual(tokenizer.encode(''), []);
  assert.deepEqual(tokenizer.encode('', { allowSpecial: true }), []);
  assert.equal(tokenizer.decode([]), '');
  assert.equal(tokenizer.decodeBytes([]).length, 0);
});

test('lone surrogates are encoded as U+FFFD, like TextEncoder', () => {
  assert.equal(tokenizer.decode(tokenizer.encode('a\ud800b')), 'a\ufffdb');
  assert.equal(tokenizer.decode(tokenizer.encode('\udc00')), '\ufffd');
});

test('special tokens have fixed ids and are special only with allowSpecial', () => {
  assert.deepEqual(tokenizer.special, SPECIAL_TOKEN_IDS);
  assert.equal(tokenizer.special.bos, 256);
  assert.equal(tokenizer.special.eos, 257);
  assert.equal(tokenizer.special.sep, 263);
  DEFAULT_SPECIAL_TOKENS.forEach((text, index) => {
    assert.equal(tokenizer.specialTokenId(text), 256 + index);
    assert.ok(tokenizer.isSpecial(256 + index));
    assert.equal(tokenizer.decode([256 + index]), text);
  });
  assert.ok(!tokenizer.isSpecial(255));
  assert.ok(!tokenizer.isSpecial(264));

  const text = '<|user|>What is a compiler?<|eos|><|assistant|>';
  assert.deepEqual(tokenizer.encode(text, { allowSpecial: true }), [
    259,
    ...tokenizer.encode('What is a compiler?'),
    257,
    260,
  ]);
  const ordinary = tokenizer.encode(text);
  assert.ok(ordinary.every((id) => !tokenizer.isSpecial(id)));
  assert.equal(tokenizer.decode(ordinary), text);
  // A broken literal is ordinary text even with allowSpecial.
  assert.ok(tokenizer.encode('<|eos|', { allowSpecial: true }).every((id) => !tokenizer.isSpecial(id)));
});

test('a longer special token wins over a special token that is its prefix', () => {
  const custom = Tokenizer.fromTokenizerFile(
    trainBpe(TEST_CORPUS, { vocabSize: 300, specialTokens: ['<|x|>', '<|x|>y'] }),
  );
  assert.deepEqual(custom.encode('<|x|>y<|x|>', { allowSpecial: true }), [265, 264]);
});

test('unknown ids give a clear error', () => {
  for (const bad of [-1, tokenizer.vocabSize, 1.5, Number.NaN]) {
    assert.throws(
      () => tokenizer.decode([1, bad]),
      (error: unknown) => error instanceof TokenizerError && error.code === 'TOKENIZER_UNKNOWN_TOKEN_ID',
    );
  }
});

test('the stream decoder emits only complete characters', () => {
  fc.assert(
    fc.property(mixedText, (text) => {
      const ids = tokenizer.encode(text);
      const stream = tokenizer.createStreamDecoder();
      let out = '';
      for (const id of ids) {
        const chunk = stream.push(id);
        assert.ok(!chunk.includes('\ufffd') || text.includes('\ufffd'));
        out += chunk;
      }
      out += stream.flush();
      assert.equal(out, text);
    }),
    { numRuns: 200, seed: 9 },
  );
  // Bytes of one character split over tokens are held back until complete.
  const byteTokenizer = Tokenizer.fromTokenizerFile(trainBpe([], { vocabSize: 300 }));
  const stream = byteTokenizer.createStreamDecoder();
  const ids = byteTokenizer.encode('é🎉');
  assert.deepEqual(ids, [0xc3, 0xa9, 0xf0, 0x9f, 0x8e, 0x89]);
  assert.equal(stream.push(ids[0]!), '');
  assert.equal(stream.push(ids[1]!), 'é');
  assert.equal(stream.push(ids.slice(2, 5)), '');
  assert.equal(stream.push([ids[5]!]), '🎉');
  assert.equal(stream.push(0xf0), '');
  assert.equal(stream.flush(), '\ufffd');
});

test('long pieces (heap path) encode and round-trip', () => {
  const long = 'compiler'.repeat(500) + '日本語'.repeat(300);
  const ids = tokenizer.encode(long);
  assert.equal(tokenizer.decode(ids), long);
  assert.ok(ids.length < utf8.encode(long).length);
});
