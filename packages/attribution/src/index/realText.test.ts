import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { loadDefaultTokenizer } from '@openledger/tokenizer';
import { bytesToHex, normalizeAddress } from '../rules/bytes.js';
import { checkChallenge } from '../rules/challenge.js';
import { rowsRoot, splitRowBytes } from '../rules/rows.js';
import { verifyEvidence } from '../rules/verify.js';
import { AttributionIndex } from './attributionIndex.js';
import { dn, tempDir } from './testkit.js';

const dataUrl = new URL('../../../../data/datanets/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dataUrl), 'utf8')) as {
  datanets: { name: string; files: { file: string; contributor: string; rows: number }[] }[];
};
const addressOf = (name: string) => bytesToHex(sha256(new TextEncoder().encode(name)).subarray(0, 20));

test('real text: the demo Datanet "elements" with the shipped tokenizer — trace, verify, challenge', (t) => {
  const tokenizer = loadDefaultTokenizer();
  const index = AttributionIndex.open({ dir: tempDir(t), tokenizer, durable: false });
  const elements = manifest.datanets.find((d) => d.name === 'elements')!;
  const d = index.datanet(dn(0xe1));
  const rowsOf: Uint8Array[][] = [];
  elements.files.forEach((f, i) => {
    const rows = splitRowBytes(readFileSync(new URL(f.file, dataUrl)));
    assert.equal(rows.length, f.rows, f.file);
    rowsOf.push(rows);
    d.addVersion({
      contributor: addressOf(f.contributor),
      approvalHeight: BigInt(10 + i),
      rows,
      rowsRoot: rowsRoot(rows),
      version: i + 1,
    });
  });
  // an answer quoting one of dmitri's rows (second file) between words of no one's
  const quoted = new TextDecoder().decode(rowsOf[1]![3]!);
  const output = `Here is what I found. ${quoted.slice(0, 160)} I hope this helps!`;
  const res = index.trace({ output, pins: [{ datanet: dn(0xe1), version: 3 }], modelVersion: dn(0xbb) });
  assert.ok(res.spans.length >= 1);
  assert.equal(res.weights[0]![0], normalizeAddress(addressOf(elements.files[1]!.contributor)));
  assert.ok(res.weights[0]![1] > 900_000, `weight ${res.weights[0]![1]}`);
  assert.match(res.spans[0]!.text!, /\S/);
  assert.deepEqual(index.verify(res.evidenceBytes).differences, []);
  // anyone holding the rows can check it without the index
  const cited = res.spans.map((s) => ({
    datanet: s.datanet,
    rowIndex: s.rowIndex,
    row: rowsOf[Number(s.rowProof.contributionVersion) - 1]![Number(s.rowIndex - s.rowProof.firstRow)]!,
    proof: s.rowProof,
  }));
  const env = {
    tokenize: (x: string) => tokenizer.encode(x),
    approvalHeight: (_d: string, v: bigint) => 9n + v,
  };
  assert.deepEqual(verifyEvidence({ ...env, evidence: res.evidence, rows: cited }).differences, []);
  const ctx = {
    ...env,
    evidence: res.evidence,
    receipt: res,
    params: res.evidence.params,
    gradientSharePpm: 0,
  };
  assert.equal(checkChallenge({ condition: 'a', span: 0, row: cited[0]! }, ctx).proven, false);
  assert.equal(checkChallenge({ condition: 'c' }, ctx).proven, false);
  const occ = index.occurrences({
    output,
    pins: [{ datanet: dn(0xe1), version: 3 }],
    offset: res.spans[0]!.outputOffset,
    length: res.spans[0]!.length,
  });
  assert.ok(occ.total >= 1);
  assert.equal(occ.occurrences[0]!.rowIndex, res.spans[0]!.rowIndex);
  // the curator sees a resubmitted row as copied from dmitri
  const copy = index.copyReport({ datanet: dn(0xe1), rows: [quoted] });
  assert.ok(copy.copiedPpm > 900_000);
  assert.equal(
    copy.byContributor[0]!.contributor,
    normalizeAddress(addressOf(elements.files[1]!.contributor)),
  );
});
