import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { normalizeAddress, normalizeBytes32 } from './bytes.js';
import {
  attributeSpans,
  attributeSpansReference,
  type CreditedSpan,
  RowsCorpus,
  type TokenRow,
} from './spans.js';
import { computeWeights } from './weights.js';

interface VectorCase {
  rows: {
    tokens: number[];
    contributor: string;
    approvalHeight: number;
    datanet: string;
    rowIndex: number;
  }[];
  outputTokenIds: number[];
  params: { minSpanTokens: number; maxSpans: number; maxAttributed: number };
  expected: {
    N: number;
    spans: {
      outputOffset: number;
      length: number;
      score: string;
      rowIndex: number;
      datanet: string;
      rowOffset: number;
      contributor: string;
      credited: string;
    }[];
    weights: [string, number][];
    fallbackPpm: number;
  };
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/spans.json', import.meta.url), 'utf8'),
) as { cases: VectorCase[] };

export function corpusOf(c: VectorCase): RowsCorpus {
  const rows: TokenRow[] = c.rows.map((r) => ({
    tokens: r.tokens,
    contributor: normalizeAddress(r.contributor),
    approvalHeight: BigInt(r.approvalHeight),
    datanet: normalizeBytes32(r.datanet),
    rowIndex: BigInt(r.rowIndex),
  }));
  return new RowsCorpus(rows);
}

function view(spans: CreditedSpan[]) {
  return spans.map((s) => ({
    outputOffset: s.outputOffset,
    length: s.length,
    score: s.score.toString(),
    rowIndex: Number(s.rowIndex),
    datanet: s.datanet,
    rowOffset: s.rowOffset,
    contributor: s.contributor,
    credited: s.credited.toString(),
  }));
}

test('spans.json: every case (fast selection and the literal reference)', () => {
  assert.equal(vectors.cases.length, 36);
  vectors.cases.forEach((c, i) => {
    const corpus = corpusOf(c);
    assert.equal(corpus.N, BigInt(c.expected.N), `case ${i}: N`);
    const expectedSpans = c.expected.spans.map((s) => ({
      ...s,
      datanet: normalizeBytes32(s.datanet),
      contributor: normalizeAddress(s.contributor),
    }));
    const fast = attributeSpans(c.outputTokenIds, corpus, corpus, c.params);
    assert.deepEqual(view(fast), expectedSpans, `case ${i}: spans (fast)`);
    const reference = attributeSpansReference(c.outputTokenIds, corpus, c.params);
    assert.deepEqual(view(reference), expectedSpans, `case ${i}: spans (reference)`);
    const w = computeWeights(fast, c.params.maxAttributed);
    assert.deepEqual(
      w.weights.map(([a, p]) => [a, p]),
      c.expected.weights.map(([a, p]) => [normalizeAddress(a), p]),
      `case ${i}: weights`,
    );
    assert.equal(w.fallbackPpm, c.expected.fallbackPpm, `case ${i}: fallbackPpm`);
  });
});
