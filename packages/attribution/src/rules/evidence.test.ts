import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '@openledger/core';
import { buildEvidence } from './buildEvidence.js';
import { bytesToHex, type Hex, normalizeAddress, normalizeBytes32 } from './bytes.js';
import { type ChallengeClaim, type ChallengeContext, type CitedRow, checkChallenge } from './challenge.js';
import { DatanetRows } from './datanetRows.js';
import { decodeEvidence, type Evidence, encodeEvidence, evidenceHash, evidenceProblems } from './evidence.js';
import { attributeSpans, DEFAULT_SPAN_PARAMS, RowsCorpus, type SpanParams, type TokenRow } from './spans.js';
import { verifyEvidence } from './verify.js';
import { computeWeights } from './weights.js';

const tokenize = (text: string) => text.split(' ').map(Number);
const detok = (ids: number[]) => ids.join(' ');
const addr = (n: number) => normalizeAddress(`0x${n.toString(16).padStart(40, '0')}`);
const dn = (n: number) => normalizeBytes32(`0x${n.toString(16).padStart(64, '0')}`);

let seed = 12345;
const rnd = (m: number) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % m;
};
const randomRow = (len: number) => Array.from({ length: len }, () => 100 + rnd(400));

interface World {
  datanets: DatanetRows[];
  pinned: Map<Hex, number>;
  corpus: RowsCorpus;
  env: { tokenize: typeof tokenize; approvalHeight: (d: Hex, v: bigint) => bigint };
}

function makeWorld(): World {
  const a = new DatanetRows(dn(1));
  const b = new DatanetRows(dn(2));
  // contributor 1 and 2 own distinctive rows; contributor 3 later copies a row of contributor 1
  a.approve(addr(1), [detok(randomRow(30)), detok(randomRow(25))], 10n);
  b.approve(addr(2), [detok(randomRow(40))], 11n);
  a.approve(addr(2), [detok(randomRow(20)), detok(randomRow(20)), detok(randomRow(30))], 12n);
  b.approve(addr(3), [new TextDecoder().decode(a.row(0))], 13n);
  a.approve(addr(4), [detok(randomRow(30))], 14n); // not pinned (version 4 of A is beyond the pin)
  const pinned = new Map<Hex, number>([
    [a.id, 3],
    [b.id, 2],
  ]);
  const rows: TokenRow[] = [];
  for (const d of [a, b]) {
    const v = pinned.get(d.id)!;
    for (let r = 0; r < d.rowsInVersion(v); r++) {
      const c = d.contributionOfRow(r);
      rows.push({
        tokens: tokenize(new TextDecoder().decode(d.row(r))),
        datanet: d.id,
        rowIndex: BigInt(r),
        approvalHeight: c.approvalHeight,
        contributor: c.contributor,
      });
    }
  }
  const heights = new Map<string, bigint>();
  for (const d of [a, b])
    for (const c of d.contributions) heights.set(`${d.id}/${c.version}`, c.approvalHeight);
  return {
    datanets: [a, b],
    pinned,
    corpus: new RowsCorpus(rows),
    env: { tokenize, approvalHeight: (d, v) => heights.get(`${d}/${v}`)! },
  };
}

function rowTokens(w: World, datanet: Hex, row: number): number[] {
  const d = w.datanets.find((x) => x.id === datanet)!;
  return tokenize(new TextDecoder().decode(d.row(row)));
}

function cite(w: World, datanet: Hex, row: number): CitedRow {
  const d = w.datanets.find((x) => x.id === datanet)!;
  return { datanet, rowIndex: BigInt(row), row: d.row(row), proof: d.rowProof(row, w.pinned.get(datanet)!) };
}

function makeEvidence(w: World, output: number[], params: SpanParams = DEFAULT_SPAN_PARAMS): Evidence {
  const spans = attributeSpans(output, w.corpus, w.corpus, params);
  return buildEvidence({
    tokenizerHash: dn(0xaa),
    modelVersion: dn(0xbb),
    datanetVersions: w.datanets.map((d) => ({
      id: d.id,
      version: BigInt(w.pinned.get(d.id)!),
      root: bytesToHex(d.root(w.pinned.get(d.id)!)),
    })),
    outputTokenIds: output,
    counts: w.corpus,
    spans: spans.map((s) => ({
      ...s,
      rowProof: w.datanets
        .find((d) => d.id === s.datanet)!
        .rowProof(Number(s.rowIndex), w.pinned.get(s.datanet)!),
    })),
    params,
  });
}

function output(w: World): number[] {
  const r0 = rowTokens(w, dn(1), 0);
  const r2 = rowTokens(w, dn(1), 2);
  const b0 = rowTokens(w, dn(2), 0);
  return [
    1,
    2,
    ...r0.slice(3, 20),
    3,
    ...b0.slice(0, 12),
    4,
    5,
    ...r2.slice(5, 15),
    6,
    ...r0.slice(3, 20),
    7,
  ];
}

function context(w: World, e: Evidence): ChallengeContext {
  return {
    ...w.env,
    evidence: e,
    receipt: { weights: e.weights, fallbackPpm: e.fallbackPpm },
    params: DEFAULT_SPAN_PARAMS,
    gradientSharePpm: 0,
  };
}

const allCited = (w: World) =>
  w.datanets.flatMap((d) =>
    Array.from({ length: d.rowsInVersion(w.pinned.get(d.id)!) }, (_, r) => cite(w, d.id, r)),
  );

test('evidence: canonical bytes round-trip, deterministic, well formed, verifies', () => {
  const w = makeWorld();
  const out = output(w);
  const e = makeEvidence(w, out);
  assert.deepEqual(evidenceProblems(e), []);
  assert.equal(e.spans.length, 4);
  // the copied row (contributor 3, later) never gets credit; the duplicate span scores 0 for contributor 1
  assert.deepEqual(
    e.spans.map((s) => s.rowProof.contributor),
    [addr(1), addr(2), addr(2), addr(1)],
  );
  const bytes = encodeEvidence(e);
  assert.deepEqual(encodeEvidence(decodeEvidence(bytes)), bytes);
  assert.deepEqual(decodeEvidence(bytes), e);
  assert.deepEqual(encodeEvidence(makeEvidence(makeWorldAgain(), out)), bytes);
  assert.equal(evidenceHash(e).length, 32);
  const report = verifyEvidence({ ...w.env, evidence: e, rows: allCited(w), params: DEFAULT_SPAN_PARAMS });
  assert.deepEqual(report, { ok: true, differences: [] });
});

function makeWorldAgain(): World {
  seed = 12345;
  return makeWorld();
}

test('evidence decoding refuses bad bytes and wrong shapes with INVALID_EVIDENCE', () => {
  seed = 12345;
  const w = makeWorld();
  const bytes = encodeEvidence(makeEvidence(w, output(w)));
  assert.throws(() => decodeEvidence(bytes.subarray(0, bytes.length - 1)), { code: 'INVALID_EVIDENCE' });
  assert.throws(() => decodeEvidence(Uint8Array.of(...bytes, 0)), { code: 'INVALID_EVIDENCE' });
  assert.throws(() => decodeEvidence(encode(['x', 1n])), { code: 'INVALID_EVIDENCE' });
});

test('honest evidence: no challenge condition is proven', () => {
  seed = 12345;
  const w = makeWorld();
  const e = makeEvidence(w, output(w));
  const ctx = context(w, e);
  e.spans.forEach((s, i) => {
    const row = cite(w, s.datanet, Number(s.rowIndex));
    assert.equal(checkChallenge({ condition: 'a', span: i, row }, ctx).proven, false);
    assert.equal(checkChallenge({ condition: 'b', span: i, row }, ctx).proven, false);
    // every pinned row that contains the span at some offset: none precedes the credited one
    for (const r of allCited(w)) {
      const t = tokenize(new TextDecoder().decode(r.row));
      for (let off = 0; off + s.length <= t.length; off++) {
        const res = checkChallenge({ condition: 'e', span: i, row: r, rowOffset: off }, ctx);
        assert.equal(res.proven, false, res.reason);
      }
    }
  });
  assert.equal(checkChallenge({ condition: 'c' }, ctx).proven, false);
  // every interval of ≥ minSpanTokens in any pinned row: none changes the selection
  for (const r of allCited(w)) {
    const t = tokenize(new TextDecoder().decode(r.row));
    for (let o = 0; o < e.outputTokenIds.length; o++) {
      for (let off = 0; off < t.length; off++) {
        let len = 0;
        while (
          o + len < e.outputTokenIds.length &&
          off + len < t.length &&
          t[off + len] === e.outputTokenIds[o + len]
        )
          len++;
        if (len >= 8) {
          const res = checkChallenge(
            { condition: 'd', outputOffset: o, length: len, row: r, rowOffset: off },
            ctx,
          );
          assert.equal(res.proven, false, res.reason);
        }
      }
    }
  }
});

test('challenge (a): span content differs from the output', () => {
  seed = 12345;
  const w = makeWorld();
  const e = makeEvidence(w, output(w));
  e.spans[0] = { ...e.spans[0]!, rowOffset: e.spans[0]!.rowOffset + 1 };
  const row = cite(w, e.spans[0]!.datanet, Number(e.spans[0]!.rowIndex));
  const r = checkChallenge({ condition: 'a', span: 0, row }, context(w, e));
  assert.equal(r.proven, true, r.reason);
  assert.equal(verifyEvidence({ ...w.env, evidence: e, rows: allCited(w) }).ok, false);
});

test('challenge (b): span beyond its row, or a row proof naming another contributor', () => {
  seed = 12345;
  const w = makeWorld();
  const e = makeEvidence(w, output(w));
  const row = cite(w, e.spans[1]!.datanet, Number(e.spans[1]!.rowIndex));
  const beyond = structuredClone(e);
  beyond.spans[1]!.rowOffset = 1000;
  assert.equal(checkChallenge({ condition: 'b', span: 1, row }, context(w, beyond)).proven, true);
  const liar = structuredClone(e);
  liar.spans[1]!.rowProof.contributor = addr(9);
  const w2 = computeWeights(
    liar.spans.map((s) => ({ contributor: s.rowProof.contributor, credited: s.score })),
    16,
  );
  liar.weights = w2.weights;
  const r = checkChallenge({ condition: 'b', span: 1, row }, context(w, liar));
  assert.equal(r.proven, true, r.reason);
  // a cited row with a bad proof is not evidence of anything
  const badRow = { ...row, row: Uint8Array.of(...row.row, 0x20) };
  const bad = checkChallenge({ condition: 'b', span: 1, row: badRow }, context(w, liar));
  assert.equal(bad.proven, false);
  assert.match(bad.reason, /row proof|does not lead/);
});

test('challenge (c): weights off by one ppm, or a receipt that differs from its evidence', () => {
  seed = 12345;
  const w = makeWorld();
  const e = makeEvidence(w, output(w));
  assert.ok(e.weights.length >= 2);
  const off = structuredClone(e);
  off.weights = [
    [off.weights[0]![0], off.weights[0]![1] + 1],
    [off.weights[1]![0], off.weights[1]![1] - 1],
    ...off.weights.slice(2),
  ];
  assert.equal(checkChallenge({ condition: 'c' }, context(w, off)).proven, true);
  const ctx = context(w, e);
  ctx.receipt = { weights: [[e.weights[0]![0], 1_000_000]], fallbackPpm: 0 };
  assert.equal(checkChallenge({ condition: 'c' }, ctx).proven, true);
  const params = context(w, e);
  params.params = { ...DEFAULT_SPAN_PARAMS, maxSpans: 31 };
  assert.equal(checkChallenge({ condition: 'c' }, params).proven, true);
});

test('challenge (d): an omitted span changes the greedy selection', () => {
  seed = 12345;
  const w = makeWorld();
  const full = makeEvidence(w, output(w));
  const dropped = full.spans[1]!;
  // evidence without span 1, otherwise consistent (weights follow the rule for the remaining spans)
  const e = structuredClone(full);
  e.spans.splice(1, 1);
  const ws = computeWeights(
    e.spans.map((s, i) => ({ contributor: s.rowProof.contributor, credited: i === 2 ? 0n : s.score })),
    16,
  );
  e.weights = ws.weights;
  e.fallbackPpm = ws.fallbackPpm;
  const ctx = context(w, e);
  assert.equal(checkChallenge({ condition: 'c' }, ctx).proven, false);
  const res = checkChallenge(
    {
      condition: 'd',
      outputOffset: dropped.outputOffset,
      length: dropped.length,
      row: cite(w, dropped.datanet, Number(dropped.rowIndex)),
      rowOffset: dropped.rowOffset,
    },
    ctx,
  );
  assert.equal(res.proven, true, res.reason);
  const report = verifyEvidence({ ...w.env, evidence: e, rows: allCited(w) });
  assert.equal(report.ok, false);
  assert.ok(report.differences.some((d) => d.startsWith('spans: the greedy selection')));
});

test('challenge (e): credit to a later copy of an earlier row', () => {
  seed = 12345;
  const w = makeWorld();
  const e = makeEvidence(w, output(w));
  // span 0 is from A row 0 (contributor 1); B row 1 is contributor 3's later copy of it
  assert.equal(e.spans[0]!.datanet, dn(1));
  assert.equal(e.spans[0]!.rowIndex, 0n);
  const copy = cite(w, dn(2), 1);
  const forged = structuredClone(e);
  forged.spans[0] = { ...forged.spans[0]!, datanet: dn(2), rowIndex: 1n, rowProof: copy.proof };
  const ws = computeWeights(
    forged.spans.map((s, i) => ({
      contributor: s.rowProof.contributor,
      credited: i === 3 && s.rowProof.contributor === forged.spans[0]!.rowProof.contributor ? 0n : s.score,
    })),
    16,
  );
  forged.weights = ws.weights;
  forged.fallbackPpm = ws.fallbackPpm;
  const ctx = context(w, forged);
  assert.equal(checkChallenge({ condition: 'b', span: 0, row: copy }, ctx).proven, false);
  assert.equal(checkChallenge({ condition: 'a', span: 0, row: copy }, ctx).proven, false);
  const res = checkChallenge(
    { condition: 'e', span: 0, row: cite(w, dn(1), 0), rowOffset: e.spans[0]!.rowOffset },
    ctx,
  );
  assert.equal(res.proven, true, res.reason);
});

test('malformed claims fail with a reason', () => {
  seed = 12345;
  const w = makeWorld();
  const e = makeEvidence(w, output(w));
  const ctx = context(w, e);
  const row = cite(w, dn(1), 0);
  const claims: ChallengeClaim[] = [
    { condition: 'a', span: 99, row },
    { condition: 'e', span: -1, row, rowOffset: 0 },
    { condition: 'd', outputOffset: 0, length: 3, row, rowOffset: 0 },
    { condition: 'd', outputOffset: 0, length: 1000, row, rowOffset: 0 },
    { condition: 'b', span: 0, row: { ...row, datanet: dn(7) } },
  ];
  for (const c of claims) {
    const r = checkChallenge(c, ctx);
    assert.equal(r.proven, false);
    assert.ok(r.reason.length > 10);
  }
});
