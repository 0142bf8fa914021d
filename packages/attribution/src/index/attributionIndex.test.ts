import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bytesToHex, normalizeAddress, normalizeBytes32 } from '../rules/bytes.js';
import { encodeEvidence } from '../rules/evidence.js';
import { attributeSpans, RowsCorpus, type SpanParams, type TokenRow } from '../rules/spans.js';
import { verifyEvidence } from '../rules/verify.js';
import { computeWeights } from '../rules/weights.js';
import { AttributionIndex, type Pin } from './attributionIndex.js';
import { addr, dn, numberTokenizer, rng, tempDir } from './testkit.js';

const PARAMS: SpanParams = { minSpanTokens: 4, maxSpans: 8, maxAttributed: 3 };

interface Built {
  index: AttributionIndex;
  /** rows per datanet per version: text rows */
  history: Map<string, { contributor: string; height: bigint; rows: number[][] }[]>;
}

/** Random Datanets whose rows reuse phrases, so there are many repeated spans across rows and versions. */
function buildWorld(dir: string, seed: number, compaction: 'tiered' | 'manual'): Built {
  const r = rng(seed);
  const index = AttributionIndex.open({ dir, tokenizer: numberTokenizer, compaction, durable: false });
  const phrases = Array.from({ length: 12 }, () => Array.from({ length: 3 + r(8) }, () => r(40)));
  const history = new Map<string, { contributor: string; height: bigint; rows: number[][] }[]>();
  let height = 1n;
  for (let step = 0; step < 24; step++) {
    const d = dn(1 + r(3));
    const rows = Array.from({ length: 1 + r(4) }, () => {
      const row: number[] = [];
      const parts = 1 + r(5);
      for (let k = 0; k < parts; k++) {
        if (r(2)) row.push(...phrases[r(phrases.length)]!);
        else row.push(...Array.from({ length: 1 + r(6) }, () => r(60)));
      }
      return row;
    });
    height += BigInt(r(2));
    const contributor = addr(1 + r(5));
    index.datanet(d).addVersion({ contributor, approvalHeight: height, rows: rows.map((x) => x.join(' ')) });
    const h = history.get(d) ?? [];
    h.push({ contributor, height, rows });
    history.set(d, h);
  }
  return { index, history };
}

function rowsCorpus(b: Built, pins: Pin[]): RowsCorpus {
  const rows: TokenRow[] = [];
  for (const p of pins) {
    let rowIndex = 0n;
    for (const v of b.history.get(normalizeBytes32(p.datanet))!.slice(0, p.version)) {
      for (const tokens of v.rows) {
        rows.push({
          tokens,
          datanet: normalizeBytes32(p.datanet),
          rowIndex: rowIndex++,
          approvalHeight: v.height,
          contributor: normalizeAddress(v.contributor),
        });
      }
    }
  }
  return new RowsCorpus(rows);
}

function randomOutput(b: Built, r: (m: number) => number): number[] {
  const all = [...b.history.values()].flat().flatMap((v) => v.rows);
  const out: number[] = [];
  while (out.length < 60) {
    if (r(3)) {
      const row = all[r(all.length)]!;
      const s = r(row.length);
      out.push(...row.slice(s, s + 2 + r(12)));
    } else out.push(r(70));
  }
  return out;
}

function randomPins(b: Built, r: (m: number) => number): Pin[] {
  return [...b.history.keys()]
    .filter(() => r(4) !== 0)
    .map((d) => ({ datanet: d, version: 1 + r(b.history.get(d)!.length) }));
}

test('index trace equals the rule run over the pinned rows directly (random Datanets, versions, pins)', (t) => {
  const b = buildWorld(tempDir(t), 7, 'tiered');
  const r = rng(99);
  let spansSeen = 0;
  for (let trial = 0; trial < 60; trial++) {
    const pins = randomPins(b, r);
    if (pins.length === 0) continue;
    const out = randomOutput(b, r);
    const res = b.index.trace({ output: out, pins, params: PARAMS, modelVersion: dn(0xabc) });
    const corpus = rowsCorpus(b, pins);
    assert.deepEqual(Array.from(res.matchLengths), Array.from(corpus.matchLengths(out)));
    assert.equal(res.N, corpus.N);
    const direct = attributeSpans(out, corpus, corpus, PARAMS);
    assert.deepEqual(
      res.spans.map(({ rowProof, text, ...s }) => s),
      direct,
    );
    spansSeen += direct.length;
    // the evidence verifies with the credited rows cited
    const cited = res.spans.map((s) => {
      const d = b.index.datanet(s.datanet);
      const pin = pins.find((p) => normalizeBytes32(p.datanet) === s.datanet)!;
      return {
        datanet: s.datanet,
        rowIndex: s.rowIndex,
        row: new TextEncoder().encode(Array.from(d.rowTokens(Number(s.rowIndex))).join(' ')),
        proof: d.rowProof(Number(s.rowIndex), pin.version),
      };
    });
    const heights = (dnId: string, v: bigint) => b.history.get(dnId)![Number(v) - 1]!.height;
    const rep = verifyEvidence({
      evidence: res.evidence,
      rows: cited,
      tokenize: numberTokenizer.encode,
      approvalHeight: heights,
    });
    assert.deepEqual(rep.differences, []);
    assert.deepEqual(b.index.verify(res.evidenceBytes), {
      ok: true,
      differences: [],
      recomputed: res.evidence,
    });
  }
  assert.ok(spansSeen > 50, `only ${spansSeen} spans: the test data is too thin`);
});

test('compaction never changes an answer; reopening neither', (t) => {
  const dir = tempDir(t);
  const b = buildWorld(dir, 3, 'manual');
  const r = rng(5);
  const queries = Array.from({ length: 30 }, () => ({
    pins: randomPins(b, r),
    out: randomOutput(b, r),
  })).filter((q) => q.pins.length > 0);
  const answer = (idx: AttributionIndex) =>
    queries.map((q) =>
      bytesToHex(
        encodeEvidence(
          idx.trace({ output: q.out, pins: q.pins, params: PARAMS, modelVersion: dn(1) }).evidence,
        ),
      ),
    );
  const before = answer(b.index);
  const runsBefore = [...b.history.keys()].map((d) => b.index.datanet(d).segmentRuns.length);
  assert.ok(
    runsBefore.every((n) => n > 2),
    'manual policy keeps one segment per version',
  );
  for (const d of b.history.keys()) b.index.datanet(d).compact({ maxSegments: 2 });
  assert.deepEqual(answer(b.index), before);
  for (const d of b.history.keys()) b.index.datanet(d).compact();
  for (const d of b.history.keys()) assert.equal(b.index.datanet(d).segmentRuns.length, 1);
  assert.deepEqual(answer(b.index), before);
  const reopened = AttributionIndex.open({ dir, tokenizer: numberTokenizer });
  assert.deepEqual(answer(reopened), before);
  // tiered policy (different segment layout) gives the same bytes too
  const tiered = buildWorld(tempDir(t), 3, 'tiered');
  assert.deepEqual(answer(tiered.index), before);
});

test('version visibility: a query at version v never sees rows of later versions', (t) => {
  const index = AttributionIndex.open({ dir: tempDir(t), tokenizer: numberTokenizer, compaction: 'manual' });
  const d = index.datanet(dn(1));
  d.addVersion({ contributor: addr(1), approvalHeight: 1n, rows: ['1 2 3 4 5 6 7 8 9 10'] });
  d.addVersion({ contributor: addr(2), approvalHeight: 2n, rows: ['11 12 13 14 15 16 17 18'] });
  d.addVersion({ contributor: addr(3), approvalHeight: 3n, rows: ['21 22 23 24 25 26'] });
  d.compact(); // one segment holding all three versions: visibility is by text position
  const out = '11 12 13 14 15 16 17 18 99 21 22 23 24 25 26';
  const at = (version: number) =>
    index.trace({ output: out, pins: [{ datanet: dn(1), version }], params: PARAMS, modelVersion: dn(1) });
  assert.deepEqual(at(1).spans, []);
  assert.equal(at(1).fallbackPpm, 1_000_000);
  assert.deepEqual(
    at(2).spans.map((s) => s.contributor),
    [normalizeAddress(addr(2))],
  );
  assert.deepEqual(
    at(3).spans.map((s) => s.contributor),
    [normalizeAddress(addr(2)), normalizeAddress(addr(3))],
  );
  assert.equal(at(1).N, 10n);
  assert.equal(at(3).N, 24n);
});

test('earliest occurrence across Datanets: approval height, then Datanet id, then row', (t) => {
  const index = AttributionIndex.open({ dir: tempDir(t), tokenizer: numberTokenizer });
  const row = '5 6 7 8 9 10 11 12';
  index.datanet(dn(2)).addVersion({ contributor: addr(2), approvalHeight: 5n, rows: ['1 1', row] });
  index.datanet(dn(1)).addVersion({ contributor: addr(1), approvalHeight: 5n, rows: [row] });
  index.datanet(dn(3)).addVersion({ contributor: addr(3), approvalHeight: 4n, rows: [`0 ${row}`] });
  const pins = [1, 2, 3].map((n) => ({ datanet: dn(n), version: 1 }));
  const res = index.trace({ output: row, pins, params: PARAMS, modelVersion: dn(1) });
  assert.equal(res.spans[0]!.contributor, normalizeAddress(addr(3)));
  assert.equal(res.spans[0]!.rowOffset, 1);
  const res2 = index.trace({ output: row, pins: pins.slice(0, 2), params: PARAMS, modelVersion: dn(1) });
  assert.equal(res2.spans[0]!.contributor, normalizeAddress(addr(1)));
});

test('bad input: empty or too long output, unknown or unindexed versions, bad pins', (t) => {
  const index = AttributionIndex.open({ dir: tempDir(t), tokenizer: numberTokenizer });
  index.datanet(dn(1)).addVersion({ contributor: addr(1), approvalHeight: 1n, rows: ['1 2 3 4 5'] });
  const base = { pins: [{ datanet: dn(1), version: 1 }], modelVersion: dn(1) };
  assert.throws(() => index.trace({ ...base, output: [] }), { code: 'EMPTY_OUTPUT' });
  assert.throws(() => index.trace({ ...base, output: '  ' }), { code: 'EMPTY_OUTPUT' });
  assert.throws(() => index.trace({ ...base, output: [1, 2, 3], maxOutputTokens: 2 }), {
    code: 'OUTPUT_TOO_LONG',
  });
  assert.throws(() => index.trace({ ...base, output: [1, -2] }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => index.trace({ ...base, output: [1], pins: [{ datanet: dn(1), version: 2 }] }), {
    code: 'UNKNOWN_VERSION',
    message: /not indexed \(indexed: 1\.\.1\)/,
  });
  assert.throws(() => index.trace({ ...base, output: [1], pins: [{ datanet: dn(1), version: 0 }] }), {
    code: 'UNKNOWN_VERSION',
  });
  assert.throws(() => index.trace({ ...base, output: [1], pins: [{ datanet: dn(9), version: 1 }] }), {
    code: 'UNKNOWN_DATANET',
  });
  assert.throws(() => index.trace({ ...base, output: [1], pins: [] }), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => index.trace({ ...base, output: [1], pins: [base.pins[0]!, base.pins[0]!] }), {
    code: 'INVALID_ARGUMENT',
  });
  assert.throws(
    () => index.trace({ ...base, output: [1], params: { minSpanTokens: 0, maxSpans: 1, maxAttributed: 1 } }),
    {
      code: 'INVALID_ARGUMENT',
    },
  );
  const d = index.datanet(dn(1));
  assert.throws(() => d.addVersion({ contributor: addr(1), approvalHeight: 2n, rows: [] }), {
    code: 'NO_ROWS',
  });
  assert.throws(() => d.addVersion({ contributor: addr(1), approvalHeight: 0n, rows: ['1'] }), {
    code: 'INVALID_ARGUMENT',
  });
  assert.throws(() => d.addVersion({ contributor: addr(1), approvalHeight: 2n, rows: ['1'], version: 5 }), {
    code: 'INDEX_STATE',
  });
  assert.throws(
    () =>
      d.addVersion({ contributor: addr(1), approvalHeight: 2n, rows: ['1'], rowsRoot: new Uint8Array(32) }),
    {
      code: 'INVALID_ARGUMENT',
    },
  );
});

test('corrupted index files are detected: segments and manifest rebuilt, never silently wrong', (t) => {
  const dir = tempDir(t);
  const b = buildWorld(dir, 11, 'tiered');
  const r = rng(1);
  const queries = Array.from({ length: 10 }, () => ({
    pins: randomPins(b, r),
    out: randomOutput(b, r),
  })).filter((q) => q.pins.length > 0);
  const answer = (idx: AttributionIndex) =>
    queries.map((q) =>
      bytesToHex(
        encodeEvidence(
          idx.trace({ output: q.out, pins: q.pins, params: PARAMS, modelVersion: dn(1) }).evidence,
        ),
      ),
    );
  const before = answer(b.index);
  const d = [...b.history.keys()][0]!;
  const ddir = b.index.datanet(d).dir;
  // flip one byte in the middle of every segment file (inside the suffix array)
  for (const f of readdirSync(join(ddir, 'segments'))) {
    const p = join(ddir, 'segments', f);
    const bytes = readFileSync(p);
    const mid = bytes.length >> 1;
    bytes[mid] = bytes[mid]! ^ 0x40;
    writeFileSync(p, bytes);
  }
  const reopened = AttributionIndex.open({ dir, tokenizer: numberTokenizer });
  const di = reopened.datanet(d);
  assert.ok(di.repairs.length >= 1);
  assert.ok(di.repairs.every((x) => /checksum/.test(x.problem)));
  assert.deepEqual(answer(reopened), before);
  // manifest garbage: rebuilt from the version files
  writeFileSync(join(ddir, 'manifest.json'), '{"body":');
  const again = AttributionIndex.open({ dir, tokenizer: numberTokenizer });
  assert.ok(again.datanet(d).repairs.some((x) => x.file.endsWith('manifest.json')));
  assert.deepEqual(answer(again), before);
  // a version file cannot be rebuilt here: clear error
  const vfile = join(ddir, 'versions', readdirSync(join(ddir, 'versions'))[0]!);
  const vb = readFileSync(vfile);
  vb[20] = vb[20]! ^ 1;
  writeFileSync(vfile, vb);
  const broken = AttributionIndex.open({ dir, tokenizer: numberTokenizer });
  assert.throws(() => broken.datanet(d), { code: 'INDEX_CORRUPT', message: /checksum/ });
});

test('verify reports every difference of a tampered evidence', (t) => {
  const b = buildWorld(tempDir(t), 21, 'tiered');
  const r = rng(3);
  let checked = 0;
  for (let trial = 0; trial < 20 && checked < 3; trial++) {
    const pins = randomPins(b, r);
    if (pins.length === 0) continue;
    const res = b.index.trace({ output: randomOutput(b, r), pins, params: PARAMS, modelVersion: dn(1) });
    if (res.spans.length < 2) continue;
    const e = structuredClone(res.evidence);
    e.spans.pop();
    e.counts.N += 1n;
    const rep = b.index.verify(e);
    assert.equal(rep.ok, false);
    assert.ok(rep.differences.some((x) => x.startsWith('counts.N')));
    assert.ok(rep.differences.some((x) => / is missing$/.test(x)));
    checked++;
  }
  assert.equal(checked, 3);
});

test('copy report: share of ≥12-token spans already in the Datanet, and whose rows', (t) => {
  const index = AttributionIndex.open({ dir: tempDir(t), tokenizer: numberTokenizer });
  const d = index.datanet(dn(1));
  const a = Array.from({ length: 20 }, (_, i) => 100 + i);
  const c = Array.from({ length: 15 }, (_, i) => 200 + i);
  d.addVersion({ contributor: addr(1), approvalHeight: 1n, rows: [a.join(' ')] });
  d.addVersion({ contributor: addr(2), approvalHeight: 2n, rows: [c.join(' '), '1 2 3'] });
  const pending = [
    [...a.slice(0, 14), 7, 7, 7, 7, 7, 7].join(' '), // 14 copied of 20
    [...c.slice(0, 11), 8, 8, 8, 8, 8, 8, 8, 8, 8].join(' '), // 11 < 12: not counted
    [9, ...c].join(' '), // 15 copied of 16
  ];
  const rep = index.copyReport({ datanet: dn(1), rows: pending });
  assert.equal(rep.totalTokens, 56);
  assert.equal(rep.copiedTokens, 29);
  assert.equal(rep.copiedPpm, Math.floor((29 * 1e6) / 56));
  assert.deepEqual(
    rep.byContributor.map((x) => [x.contributor, x.tokens, x.rows.map((y) => Number(y.rowIndex))]),
    [
      [normalizeAddress(addr(2)), 15, [1]],
      [normalizeAddress(addr(1)), 14, [0]],
    ],
  );
  assert.deepEqual(index.copyReport({ datanet: dn(1), rows: pending, version: 1 }).copiedTokens, 14);
});

test('background compaction (worker thread) keeps answering the same while it runs and after', async (t) => {
  const b = buildWorld(tempDir(t), 3, 'manual');
  const r = rng(8);
  const queries = Array.from({ length: 12 }, () => ({
    pins: randomPins(b, r),
    out: randomOutput(b, r),
  })).filter((q) => q.pins.length > 0);
  const answer = () =>
    queries.map((q) =>
      bytesToHex(
        encodeEvidence(
          b.index.trace({ output: q.out, pins: q.pins, params: PARAMS, modelVersion: dn(1) }).evidence,
        ),
      ),
    );
  const before = answer();
  const jobs = [...b.history.keys()].map((d) => b.index.datanet(d).compactInBackground({ maxSegments: 1 }));
  assert.deepEqual(answer(), before); // answered from the old segments meanwhile
  await Promise.all(jobs);
  for (const d of b.history.keys()) assert.equal(b.index.datanet(d).segmentRuns.length, 1);
  assert.deepEqual(answer(), before);
});

test('spans.json through the index: match lengths, N and the selected spans (offsets, lengths, scores)', async (t) => {
  const { readFileSync: read } = await import('node:fs');
  const vectors = JSON.parse(read(new URL('../../test/vectors/spans.json', import.meta.url), 'utf8')) as {
    cases: {
      rows: { tokens: number[]; datanet: string; rowIndex: number }[];
      outputTokenIds: number[];
      params: SpanParams;
      expected: { N: number; spans: { outputOffset: number; length: number; score: string }[] };
    }[];
  };
  for (const [i, c] of vectors.cases.entries()) {
    const index = AttributionIndex.open({ dir: tempDir(t), tokenizer: numberTokenizer, durable: false });
    const byDatanet = new Map<string, { tokens: number[]; rowIndex: number }[]>();
    for (const row of c.rows) byDatanet.set(row.datanet, [...(byDatanet.get(row.datanet) ?? []), row]);
    for (const [d, rows] of byDatanet) {
      rows.sort((x, y) => x.rowIndex - y.rowIndex);
      // each row its own version (approval heights are not modelled here; crediting is covered above)
      for (const row of rows) {
        index
          .datanet(d)
          .addVersion({ contributor: addr(1), approvalHeight: 1n, rows: ['x'], tokens: [row.tokens] });
      }
    }
    const pins = [...byDatanet.keys()].map((d) => ({ datanet: d, version: byDatanet.get(d)!.length }));
    if (c.outputTokenIds.length === 0) continue;
    const res = index.trace({ output: c.outputTokenIds, pins, params: c.params, modelVersion: dn(1) });
    assert.equal(res.N, BigInt(c.expected.N), `case ${i}`);
    assert.deepEqual(
      res.spans.map((s) => ({ outputOffset: s.outputOffset, length: s.length, score: s.score.toString() })),
      c.expected.spans.map((s) => ({ outputOffset: s.outputOffset, length: s.length, score: s.score })),
      `case ${i}`,
    );
  }
});

test('large token ids (sparse alphabet) index and trace like small ones', (t) => {
  const index = AttributionIndex.open({ dir: tempDir(t), tokenizer: numberTokenizer, durable: false });
  const big = (x: number) => 1_000_000 + x * 7919;
  const row = Array.from({ length: 20 }, (_, i) => big(i));
  index.datanet(dn(1)).addVersion({
    contributor: addr(1),
    approvalHeight: 1n,
    rows: ['a', 'b'],
    tokens: [row, [big(3), big(4)]],
  });
  const res = index.trace({
    output: [5, ...row.slice(2, 14), 6],
    pins: [{ datanet: dn(1), version: 1 }],
    params: PARAMS,
    modelVersion: dn(1),
  });
  assert.deepEqual(
    res.spans.map((s) => [s.outputOffset, s.length, s.rowOffset]),
    [[1, 12, 2]],
  );
  assert.throws(
    () =>
      index
        .datanet(dn(1))
        .addVersion({ contributor: addr(1), approvalHeight: 1n, rows: ['c'], tokens: [[2 ** 24]] }),
    { code: 'INVALID_ARGUMENT' },
  );
});

test('findChallenge: null for honest evidence; a proven claim (a), (c), (d), (e) for tampered ones', (t) => {
  const index = AttributionIndex.open({ dir: tempDir(t), tokenizer: numberTokenizer, durable: false });
  const d = index.datanet(dn(1));
  const r1 = Array.from({ length: 30 }, (_, i) => 100 + i);
  const r2 = Array.from({ length: 20 }, (_, i) => 300 + i);
  d.addVersion({ contributor: addr(1), approvalHeight: 1n, rows: [r1.join(' ')] });
  d.addVersion({ contributor: addr(2), approvalHeight: 2n, rows: [r2.join(' ')] });
  d.addVersion({ contributor: addr(3), approvalHeight: 3n, rows: [r1.join(' ')] }); // a later copy
  const rowBytes = (datanet: string, row: bigint) =>
    new TextEncoder().encode(Array.from(index.datanet(datanet).rowTokens(Number(row))).join(' '));
  const output = [1, ...r1.slice(0, 15), 2, 3, ...r2.slice(0, 12), 4];
  const res = index.trace({
    output,
    pins: [{ datanet: dn(1), version: 3 }],
    params: PARAMS,
    modelVersion: dn(1),
  });
  assert.equal(res.spans.length, 2);
  assert.equal(index.findChallenge({ evidence: res.evidenceBytes, rowBytes }), null);
  const reweigh = (e: typeof res.evidence) => {
    const w = computeWeights(
      e.spans.map((s) => ({ contributor: s.rowProof.contributor, credited: s.score })),
      PARAMS.maxAttributed,
    );
    e.weights = w.weights;
    e.fallbackPpm = w.fallbackPpm;
    return e;
  };
  // (a): rowOffset shifted
  const a = structuredClone(res.evidence);
  a.spans[0]!.rowOffset += 1;
  assert.equal(index.findChallenge({ evidence: a, rowBytes })?.claim.condition, 'a');
  // (c): weights moved by one ppm
  const c = structuredClone(res.evidence);
  c.weights = [
    [c.weights[0]![0], c.weights[0]![1] + 1],
    [c.weights[1]![0], c.weights[1]![1] - 1],
  ];
  assert.equal(index.findChallenge({ evidence: c, rowBytes })?.claim.condition, 'c');
  // (d): a kept span left out
  const dd = reweigh(structuredClone(res.evidence));
  dd.spans.splice(1, 1);
  reweigh(dd);
  assert.equal(index.findChallenge({ evidence: dd, rowBytes })?.claim.condition, 'd');
  // (e): credit moved to the later copy (a valid proof of that row)
  const e = structuredClone(res.evidence);
  e.spans[0]!.rowIndex = 2n;
  e.spans[0]!.rowProof = d.rowProof(2, 3);
  reweigh(e);
  const found = index.findChallenge({ evidence: e, rowBytes });
  assert.equal(found?.claim.condition, 'e', found?.reason);
});

test('gradient signal: recorded in the evidence, mixed with g = gradientSharePpm, verified as given', (t) => {
  const index = AttributionIndex.open({ dir: tempDir(t), tokenizer: numberTokenizer, durable: false });
  const d = index.datanet(dn(1));
  const row = Array.from({ length: 20 }, (_, i) => 10 + i);
  d.addVersion({ contributor: addr(1), approvalHeight: 1n, rows: [row.join(' ')] });
  d.addVersion({ contributor: addr(2), approvalHeight: 2n, rows: ['7 8 9'] });
  const gradient = {
    method: 'logra-int8-v1',
    inputs: new Uint8Array([1, 2, 3]),
    weights: [
      [normalizeAddress(addr(2)), 600_000],
      [normalizeAddress(addr(1)), 400_000],
    ] as [`0x${string}`, number][],
  };
  const res = index.trace({
    output: row.slice(0, 12),
    pins: [{ datanet: dn(1), version: 2 }],
    params: PARAMS,
    modelVersion: dn(1),
    gradient,
    gradientSharePpm: 250_000,
  });
  // span ppm: addr1 1e6 → 750,000 + 100,000; gradient addr2 600,000 → 150,000
  assert.deepEqual(res.weights, [
    [normalizeAddress(addr(1)), 850_000],
    [normalizeAddress(addr(2)), 150_000],
  ]);
  assert.deepEqual(res.evidence.gradient, gradient);
  assert.deepEqual(index.verify(res.evidenceBytes, { gradientSharePpm: 250_000 }).differences, []);
  assert.equal(index.verify(res.evidenceBytes, { gradientSharePpm: 0 }).ok, false);
});
