import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bytesToHex, hexToBytes, normalizeAddress } from './bytes.js';
import { merklePath, merkleRoot, rootFromPath } from './merkle.js';
import { assertRowProof, type RowProof, verifyRowProof } from './rowProof.js';
import { rowPath, rowsRoot } from './rows.js';
import {
  appendToFrontier,
  EMPTY_FRONTIER,
  frontierRoot,
  VersionTree,
  verifyVersionInclusion,
  versionLeaf,
} from './versions.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/datanet.json', import.meta.url), 'utf8'),
) as {
  contributions: {
    contributor: string;
    version: number;
    firstRow: number;
    rowCount: number;
    rows: string[];
    rowsRoot: string;
    leaf: string;
  }[];
  versions: { version: number; root: string; rows: number }[];
};

test('datanet.json: every contribution leaf and version root (frontier and full tree)', () => {
  const tree = new VersionTree();
  let frontier = EMPTY_FRONTIER;
  for (const c of vectors.contributions) {
    const root = rowsRoot(c.rows);
    assert.equal(bytesToHex(root).slice(2), c.rowsRoot);
    const leaf = versionLeaf({
      contributor: c.contributor,
      version: c.version,
      firstRow: c.firstRow,
      rowCount: c.rowCount,
      rowsRoot: root,
    });
    assert.equal(bytesToHex(leaf).slice(2), c.leaf);
    assert.equal(tree.append(leaf), c.version);
    frontier = appendToFrontier(frontier, leaf);
  }
  for (const v of vectors.versions)
    assert.equal(bytesToHex(tree.root(v.version)).slice(2), v.root, `version ${v.version}`);
  assert.equal(bytesToHex(frontierRoot(frontier)).slice(2), vectors.versions.at(-1)!.root);
  // rows per version
  for (const v of vectors.versions) {
    const rows = vectors.contributions
      .filter((c) => c.version <= v.version)
      .reduce((n, c) => n + c.rowCount, 0);
    assert.equal(rows, v.rows);
  }
});

test('two-level row proofs verify for every row in every version, and fail when tampered', () => {
  const tree = new VersionTree();
  for (const c of vectors.contributions) {
    tree.append(versionLeaf({ ...c, rowsRoot: rowsRoot(c.rows) }));
  }
  for (const v of vectors.versions) {
    const root = tree.root(v.version);
    for (const c of vectors.contributions.filter((x) => x.version <= v.version)) {
      c.rows.forEach((row, i) => {
        const proof: RowProof = {
          contributor: normalizeAddress(c.contributor),
          contributionVersion: BigInt(c.version),
          firstRow: BigInt(c.firstRow),
          rowCount: BigInt(c.rowCount),
          rowPath: rowPath(c.rows, i),
          versionPath: tree.inclusionProof(c.version, v.version),
        };
        const p = {
          row,
          rowIndex: BigInt(c.firstRow + i),
          proof,
          version: BigInt(v.version),
          versionRoot: root,
        };
        assertRowProof(p);
        assert.equal(verifyRowProof({ ...p, row: `${row}x` }), false);
        assert.equal(verifyRowProof({ ...p, rowIndex: p.rowIndex + 1n }), false);
        assert.equal(
          verifyRowProof({
            ...p,
            proof: { ...proof, contributor: normalizeAddress(`0x${'11'.repeat(20)}`) },
          }),
          false,
        );
        if (v.version < vectors.versions.length) {
          // the root of another version does not accept this version's path
          assert.equal(verifyRowProof({ ...p, versionRoot: tree.root(v.version + 1) }), false);
        }
      });
    }
  }
  assert.throws(() => tree.root(0), { code: 'UNKNOWN_VERSION' });
  assert.throws(() => tree.root(8), { code: 'UNKNOWN_VERSION' });
});

test('RFC 6962 paths verify for every leaf of trees of 1..70 leaves; frontier roots agree', () => {
  const leaves: Uint8Array[] = [];
  const tree = new VersionTree();
  let frontier = EMPTY_FRONTIER;
  for (let n = 1; n <= 70; n++) {
    const leaf = hexToBytes(n.toString(16).padStart(64, '0'));
    leaves.push(leaf);
    tree.append(leaf);
    frontier = appendToFrontier(frontier, leaf);
    const root = merkleRoot(leaves);
    assert.deepEqual(frontierRoot(frontier), root);
    assert.deepEqual(tree.root(n), root);
    for (let m = 0; m < n; m++) {
      const path = merklePath(leaves, m);
      assert.deepEqual(tree.inclusionProof(m + 1, n), path);
      assert.deepEqual(rootFromPath(leaves[m]!, m, n, path), root);
      assert.ok(verifyVersionInclusion(leaves[m]!, m + 1, n, path, root));
      if (path.length > 0) assert.equal(rootFromPath(leaves[m]!, m, n, path.slice(1)), null);
      if (n > 1) assert.ok(!verifyVersionInclusion(leaves[(m + 1) % n]!, m + 1, n, path, root));
    }
  }
});
