import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { StoreError } from './errors.js';
import { type StateReader, StateStore, type StateWrites } from './store.js';
import { EMPTY_ROOT, hashInternal, hashLeaf, proofFromJson, proofToJson, verifyProof } from './verify.js';

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Deterministic PRNG (xorshift32) so failures reproduce. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/**
 * Independent reference root: builds the canonical 16-ary tree from scratch out of the full state
 * (no versions, no storage), straight from the README rules.
 */
function referenceRoot(state: Map<string, Uint8Array>): Uint8Array {
  const leaves = [...state].map(([k, v]) => ({ kh: sha(bytes(k)), vh: sha(v) }));
  if (leaves.length === 0) return EMPTY_ROOT;
  const nib = (h: Uint8Array, d: number) => (d & 1 ? h[d >> 1]! & 15 : h[d >> 1]! >> 4);
  const node = (set: typeof leaves, depth: number): Uint8Array => {
    if (set.length === 1 && depth > 0) return hashLeaf(set[0]!.kh, set[0]!.vh);
    let bitmap = 0;
    const children: Uint8Array[] = [];
    for (let n = 0; n < 16; n++) {
      const sub = set.filter((l) => nib(l.kh, depth) === n);
      if (sub.length === 0) continue;
      bitmap |= 1 << n;
      children.push(node(sub, depth + 1));
    }
    return hashInternal(bitmap, children);
  };
  return node(leaves, 0);
}

async function collect(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for await (const [k, v] of it) out.push([hex(k), hex(v)]);
  return out;
}

/** Expected iterate() output from a plain map. */
function expectRange(
  state: Map<string, Uint8Array>,
  prefix: string,
  opts: { gte?: string; lte?: string; reverse?: boolean; limit?: number } = {},
): Array<[string, string]> {
  // lowercase hex of equal-length-per-byte strings orders like unsigned bytes
  let keys = [...state.keys()].filter((k) => k.startsWith(prefix));
  if (opts.gte !== undefined) keys = keys.filter((k) => k >= opts.gte!);
  if (opts.lte !== undefined) keys = keys.filter((k) => k <= opts.lte!);
  keys.sort();
  if (opts.reverse) keys.reverse();
  if (opts.limit !== undefined) keys = keys.slice(0, opts.limit);
  return keys.map((k) => [k, hex(state.get(k)!)]);
}

function applyWrites(state: Map<string, Uint8Array>, writes: StateWrites): void {
  for (const [k, v] of writes) {
    if (v === null) state.delete(k);
    else state.set(k, v);
  }
}

async function commit(store: StateStore, writes: StateWrites): Promise<Uint8Array> {
  const p = await store.prepare(writes);
  await p.commit();
  return p.root;
}

const tmpDirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'olstore-'));
  tmpDirs.push(d);
  return d;
}
after(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  await assert.rejects(
    async () => (typeof p === 'function' ? p() : p),
    (e: unknown) => e instanceof StoreError && e.code === code,
  );
}

describe('StateStore basics', () => {
  test('empty store: height 0, EMPTY_ROOT, absence proof verifies', async () => {
    const s = await StateStore.memory();
    assert.equal(s.height, 0);
    assert.deepEqual(s.root, EMPTY_ROOT);
    assert.equal(await s.latest().get(utf8('a')), undefined);
    const { value, proof, root } = await s.prove(utf8('a'));
    assert.equal(value, undefined);
    assert.deepEqual(root, EMPTY_ROOT);
    assert.ok(verifyProof(root, utf8('a'), undefined, proof));
    assert.ok(!verifyProof(root, utf8('a'), utf8('x'), proof));
    await s.close();
  });

  test('single key: root matches the reference construction, value readable', async () => {
    const s = await StateStore.memory();
    const w = new Map([[hex(utf8('k')), utf8('v')]]);
    const root = await commit(s, w);
    assert.equal(s.height, 1);
    assert.deepEqual(root, referenceRoot(new Map(w)));
    assert.deepEqual(s.root, root);
    assert.deepEqual(await s.latest().get(utf8('k')), utf8('v'));
    await s.close();
  });

  test('random blocks: incremental roots equal the from-scratch reference, every key proves', async () => {
    const s = await StateStore.memory();
    const r = rng(7);
    const state = new Map<string, Uint8Array>();
    for (let block = 0; block < 40; block++) {
      const writes = new Map<string, Uint8Array | null>();
      const n = 1 + r(60);
      for (let i = 0; i < n; i++) {
        const key = hex(utf8(`k${r(300)}`));
        writes.set(key, r(4) === 0 ? null : utf8(`v${r(1000)}`));
      }
      const root = await commit(s, writes);
      applyWrites(state, writes);
      assert.deepEqual(root, referenceRoot(state), `root mismatch at block ${block}`);
    }
    for (let i = 0; i < 300; i++) {
      const key = utf8(`k${i}`);
      const expected = state.get(hex(key));
      assert.deepEqual(await s.latest().get(key), expected);
      const { value, proof, root } = await s.prove(key);
      assert.deepEqual(value, expected);
      assert.ok(verifyProof(root, key, value, proof), `proof for k${i}`);
    }
    await s.close();
  });
  test('no cache, short retention, reopened every few blocks: roots and values stay exact', async () => {
    // the node cache can hide a node that pruning deleted; run without it and reload from disk
    const dir = tmp();
    let s = await StateStore.open(dir, { retainHeights: 4, cacheBytes: 0, valueCacheEntries: 0 });
    const r = rng(21);
    const state = new Map<string, Uint8Array>();
    for (let block = 1; block <= 40; block++) {
      const writes = new Map<string, Uint8Array | null>();
      for (let i = 0; i < 200 + r(200); i++)
        writes.set(hex(utf8(`k${r(3000)}`)), r(6) === 0 ? null : utf8(`v${block}.${i}`));
      const root = await commit(s, writes);
      applyWrites(state, writes);
      assert.deepEqual(root, referenceRoot(state), `root mismatch at block ${block}`);
      if (block % 7 === 0) {
        await s.close();
        s = await StateStore.open(dir, { retainHeights: 4, cacheBytes: 0, valueCacheEntries: 0 });
        assert.deepEqual(s.root, root);
      }
    }
    for (let i = 0; i < 3000; i += 37) {
      const key = utf8(`k${i}`);
      const { value, proof, root } = await s.prove(key, s.height - 3);
      assert.ok(verifyProof(root, key, value, proof));
    }
    await s.close();
  });
});

describe('determinism', () => {
  test('same writes in any insertion order give the same root', async () => {
    const entries: Array<[string, Uint8Array]> = [];
    for (let i = 0; i < 500; i++) entries.push([hex(utf8(`acct/${i}`)), utf8(`balance ${i * 7}`)]);
    const roots: string[] = [];
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const shuffled = [...entries];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = r(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const s = await StateStore.memory();
      roots.push(hex(await commit(s, new Map(shuffled))));
      await s.close();
    }
    assert.equal(roots[0], roots[1]);
    assert.equal(roots[0], roots[2]);
    assert.equal(roots[0], hex(referenceRoot(new Map(entries))));
  });

  test('same state reached by different block histories gives the same root', async () => {
    const final = new Map<string, Uint8Array>();
    for (let i = 0; i < 200; i++) final.set(hex(utf8(`x${i}`)), utf8(`final${i}`));
    const a = await StateStore.memory();
    const rootA = await commit(a, final);
    // history B: junk keys created then deleted, values overwritten, keys added in many blocks
    const b = await StateStore.memory();
    const r = rng(99);
    for (let round = 0; round < 10; round++) {
      const w = new Map<string, Uint8Array | null>();
      for (let i = 0; i < 50; i++) w.set(hex(utf8(`x${r(200)}`)), utf8(`tmp${r(9)}`));
      for (let i = 0; i < 20; i++) w.set(hex(utf8(`junk${r(100)}`)), utf8('junk'));
      await commit(b, w);
    }
    const cleanup = new Map<string, Uint8Array | null>();
    for (let i = 0; i < 100; i++) cleanup.set(hex(utf8(`junk${i}`)), null);
    for (const [k, v] of final) cleanup.set(k, v);
    const rootB = await commit(b, cleanup);
    assert.deepEqual(rootB, rootA);
    assert.notEqual(b.height, a.height);
    await a.close();
    await b.close();
  });

  test('deleting everything returns EMPTY_ROOT; deleting absent keys changes nothing', async () => {
    const s = await StateStore.memory();
    const keys: string[] = [];
    for (let i = 0; i < 300; i++) keys.push(hex(utf8(`d${i}`)));
    await commit(s, new Map(keys.map((k) => [k, utf8('1')])));
    const before = s.root;
    const root0 = await commit(s, new Map([[hex(utf8('never-written')), null]]));
    assert.deepEqual(root0, before);
    // delete in two blocks to exercise leaf collapse
    await commit(s, new Map(keys.slice(0, 150).map((k) => [k, null])));
    assert.deepEqual(s.root, referenceRoot(new Map(keys.slice(150).map((k) => [k, utf8('1')]))));
    const root = await commit(s, new Map(keys.slice(150).map((k) => [k, null])));
    assert.deepEqual(root, EMPTY_ROOT);
    assert.deepEqual(s.root, EMPTY_ROOT);
    assert.deepEqual(await collect(s.latest().iterate(new Uint8Array())), []);
    // and it grows again from empty
    const again = await commit(s, new Map([[keys[0]!, utf8('2')]]));
    assert.deepEqual(again, referenceRoot(new Map([[keys[0]!, utf8('2')]])));
    await s.close();
  });

  test('rewriting a key with the same value keeps the root', async () => {
    const s = await StateStore.memory();
    const w = new Map([
      [hex(utf8('a')), utf8('1')],
      [hex(utf8('b')), utf8('2')],
    ]);
    const r1 = await commit(s, w);
    const r2 = await commit(s, new Map([[hex(utf8('a')), utf8('1')]]));
    assert.deepEqual(r1, r2);
    assert.equal(s.height, 2);
    await s.close();
  });
});

describe('proofs', () => {
  test('inclusion and absence proofs verify; tampering fails; JSON round-trips', async () => {
    const s = await StateStore.memory();
    const state = new Map<string, Uint8Array>();
    for (let i = 0; i < 2000; i++) state.set(hex(utf8(`p${i}`)), utf8(`value-${i}`));
    await commit(s, state);
    for (let i = 0; i < 60; i++) {
      const key = utf8(`p${i * 31}`);
      const { value, proof, root } = await s.prove(key);
      assert.deepEqual(value, utf8(`value-${i * 31}`));
      assert.ok(verifyProof(root, key, value, proof));
      const viaJson = proofFromJson(JSON.parse(JSON.stringify(proofToJson(proof))));
      assert.ok(verifyProof(root, key, value, viaJson));
      // tampering
      assert.ok(!verifyProof(root, key, utf8('other'), proof), 'wrong value');
      assert.ok(!verifyProof(root, key, undefined, proof), 'claimed absent');
      assert.ok(!verifyProof(root, utf8('p-other'), value, proof), 'other key');
      const badRoot = new Uint8Array(root);
      badRoot[0]! ^= 1;
      assert.ok(!verifyProof(badRoot, key, value, proof), 'other root');
      const lv = proof.levels.length - 1;
      const level = proof.levels[lv]!;
      if (level.siblings.length > 0) {
        const sib = level.siblings.map((x) => new Uint8Array(x));
        sib[0]![5]! ^= 0x80;
        const levels = [...proof.levels];
        levels[lv] = { bitmap: level.bitmap, siblings: sib };
        assert.ok(!verifyProof(root, key, value, { ...proof, levels }), 'sibling flipped');
        const levels2 = [...proof.levels];
        levels2[lv] = { bitmap: level.bitmap, siblings: [...level.siblings].reverse() };
        if (level.siblings.length > 1)
          assert.ok(!verifyProof(root, key, value, { ...proof, levels: levels2 }), 'reordered');
      }
      const levels3 = [...proof.levels];
      levels3[0] = { ...proof.levels[0]!, bitmap: proof.levels[0]!.bitmap ^ 0x8001 };
      assert.ok(!verifyProof(root, key, value, { ...proof, levels: levels3 }), 'bitmap changed');
      assert.ok(
        !verifyProof(root, key, value, { levels: proof.levels.slice(1), leaf: proof.leaf! }),
        'level dropped',
      );
    }
    for (let i = 0; i < 60; i++) {
      const key = utf8(`absent${i}`);
      const { value, proof, root } = await s.prove(key);
      assert.equal(value, undefined);
      assert.ok(verifyProof(root, key, undefined, proof), `absence ${i}`);
      assert.ok(!verifyProof(root, key, utf8('x'), proof));
      assert.ok(
        verifyProof(root, key, undefined, proofFromJson(JSON.parse(JSON.stringify(proofToJson(proof))))),
      );
      if (proof.leaf) {
        // absence via another key's leaf: that leaf cannot prove absence of its own key
        const leafHolder = [...state.keys()].find((k) => hex(sha(bytes(k))) === hex(proof.leaf!.keyHash));
        assert.ok(leafHolder !== undefined);
        assert.ok(!verifyProof(root, bytes(leafHolder), undefined, proof));
        const fake = { ...proof, leaf: { keyHash: sha(key), valueHash: proof.leaf.valueHash } };
        assert.ok(!verifyProof(root, key, utf8('x'), fake), 'forged inclusion');
      }
    }
    await s.close();
  });

  test('proofFromJson rejects malformed input with INVALID_PROOF', async () => {
    for (const bad of [
      null,
      42,
      {},
      { levels: 'x' },
      { levels: [{ bitmap: -1, siblings: [] }] },
      { levels: [{ bitmap: 1, siblings: ['zz'] }] },
      { levels: [{ bitmap: 1, siblings: ['00'] }] },
      { levels: [], leaf: { keyHash: '00', valueHash: '11' } },
    ]) {
      await expectCode(() => proofFromJson(bad), 'INVALID_PROOF');
    }
    assert.equal(verifyProof(EMPTY_ROOT, utf8('a'), undefined, { levels: 5 as never }), false);
  });

  test('proofs at past heights verify against that height’s root', async () => {
    const s = await StateStore.memory();
    const roots: Uint8Array[] = [];
    for (let h = 1; h <= 5; h++)
      roots.push(
        await commit(
          s,
          new Map([
            [hex(utf8('k')), utf8(`v${h}`)],
            [hex(utf8(`o${h}`)), utf8('x')],
          ]),
        ),
      );
    for (let h = 1; h <= 5; h++) {
      const { value, proof, root } = await s.prove(utf8('k'), h);
      assert.deepEqual(root, roots[h - 1]);
      assert.deepEqual(value, utf8(`v${h}`));
      assert.ok(verifyProof(root, utf8('k'), value, proof));
      const absent = await s.prove(utf8(`o${h + 1}`), h);
      assert.equal(absent.value, undefined);
      assert.ok(verifyProof(absent.root, utf8(`o${h + 1}`), undefined, absent.proof));
    }
    await s.close();
  });
});

describe('versions and retention', () => {
  test('reads at past heights match the state at that height (get and iterate)', async () => {
    const s = await StateStore.memory({ retainHeights: 50 });
    const r = rng(3);
    const history: Array<Map<string, Uint8Array>> = [new Map()];
    const state = new Map<string, Uint8Array>();
    for (let h = 1; h <= 20; h++) {
      const w = new Map<string, Uint8Array | null>();
      for (let i = 0; i < 30; i++) w.set(hex(utf8(`k${r(80)}`)), r(5) === 0 ? null : utf8(`h${h}-${r(100)}`));
      await commit(s, w);
      applyWrites(state, w);
      history.push(new Map(state));
    }
    const pinned = s.at(20);
    for (let h = 0; h <= 20; h++) {
      const reader: StateReader = s.at(h);
      const expected = history[h]!;
      for (let i = 0; i < 80; i++) {
        const key = utf8(`k${i}`);
        assert.deepEqual(await reader.get(key), expected.get(hex(key)), `get k${i} at ${h}`);
      }
      assert.deepEqual(await collect(reader.iterate(new Uint8Array())), expectRange(expected, ''));
      const p = hex(utf8('k1'));
      assert.deepEqual(await collect(reader.iterate(bytes(p))), expectRange(expected, p));
      assert.deepEqual(
        await collect(reader.iterate(bytes(p), { reverse: true, limit: 3 })),
        expectRange(expected, p, { reverse: true, limit: 3 }),
      );
      assert.deepEqual(
        await collect(reader.iterate(new Uint8Array(), { gte: utf8('k3'), lte: utf8('k6'), limit: 5 })),
        expectRange(expected, '', { gte: hex(utf8('k3')), lte: hex(utf8('k6')), limit: 5 }),
      );
    }
    // a reader pinned at 20 keeps reading height 20 after later commits
    await commit(s, new Map([[hex(utf8('k1')), utf8('later')]]));
    assert.deepEqual(await pinned.get(utf8('k1')), history[20]!.get(hex(utf8('k1'))));
    assert.deepEqual(await s.latest().get(utf8('k1')), utf8('later'));
    await s.close();
  });

  test('retention: old heights error with HEIGHT_PRUNED, future with HEIGHT_IN_FUTURE; pruning bounds disk', async () => {
    const dir = tmp();
    let s = await StateStore.open(dir, { retainHeights: 3 });
    for (let h = 1; h <= 3; h++) await commit(s, new Map([[hex(utf8('a')), utf8(`${h}`)]]));
    const reader = s.at(1);
    assert.deepEqual(await reader.get(utf8('a')), utf8('1'));
    await expectCode(() => s.at(4), 'HEIGHT_IN_FUTURE');
    await expectCode(() => s.at(-1), 'INVALID_OPTION');
    for (let h = 4; h <= 60; h++) {
      const w = new Map<string, Uint8Array>();
      for (let i = 0; i < 40; i++) w.set(hex(utf8(`k${i}`)), utf8(`${h}`));
      await commit(s, w);
    }
    await expectCode(() => s.at(57), 'HEIGHT_PRUNED');
    await expectCode(reader.get(utf8('a')), 'HEIGHT_PRUNED');
    await expectCode(s.prove(utf8('a'), 10), 'HEIGHT_PRUNED');
    assert.equal(s.oldestHeight, 58);
    assert.deepEqual(await s.at(58).get(utf8('k0')), utf8('58'));
    await s.close();
    // count tree nodes on disk: bounded by ~retain versions of the live tree, not by history
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    let nodes = 0;
    for await (const _ of db.keys({ gte: Buffer.from([2]), lt: Buffer.from([3]) })) nodes++;
    let journals = 0;
    for await (const _ of db.keys({ gte: Buffer.from([4]), lt: Buffer.from([5]) })) journals++;
    await db.close();
    // one live tree of 41 keys has ≤ 41 leaves + ~17 internal nodes; 3 retained versions of it stay bounded
    assert.ok(nodes < 4 * 70, `nodes on disk ${nodes}`);
    assert.ok(journals <= 4, `journals on disk ${journals}`);
    s = await StateStore.open(dir, { retainHeights: 3 });
    assert.equal(s.height, 60);
    await expectCode(() => s.at(10), 'HEIGHT_PRUNED');
    await s.close();
  });

  test('bad options are refused', async () => {
    await expectCode(StateStore.memory({ retainHeights: 0 }), 'INVALID_OPTION');
    await expectCode(StateStore.memory({ retainHeights: 1.5 }), 'INVALID_OPTION');
  });
});

describe('iterate', () => {
  test('ordering by unsigned bytes, prefix, gte, lte, reverse, limit', async () => {
    const s = await StateStore.memory();
    const state = new Map<string, Uint8Array>();
    const r = rng(11);
    for (let i = 0; i < 400; i++) {
      const len = 1 + r(4);
      const k = new Uint8Array(len);
      for (let j = 0; j < len; j++) k[j] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff][r(6)]!;
      state.set(hex(k), utf8(`v${i}`));
    }
    await commit(s, state);
    const reader = s.latest();
    const prefixes = ['', '00', 'ff', '7f80', 'ffff', '80fe'];
    const bounds = [undefined, '00', '7f', '7fff', 'ff', 'ff00ff', '80'];
    for (const prefix of prefixes) {
      for (const reverse of [false, true]) {
        for (const limit of [undefined, 0, 1, 7]) {
          for (const gte of bounds) {
            for (const lte of [undefined, 'fe', 'ff80', '8000']) {
              const opts = {
                reverse,
                ...(limit !== undefined ? { limit } : {}),
                ...(gte ? { gte: bytes(gte) } : {}),
                ...(lte ? { lte: bytes(lte) } : {}),
              };
              const got = await collect(reader.iterate(bytes(prefix), opts));
              const want = expectRange(state, prefix, {
                reverse,
                ...(limit !== undefined ? { limit } : {}),
                ...(gte ? { gte } : {}),
                ...(lte ? { lte } : {}),
              });
              assert.deepEqual(got, want, JSON.stringify({ prefix, reverse, limit, gte, lte }));
            }
          }
        }
      }
    }
    await expectCode(async () => collect(reader.iterate(bytes(''), { limit: -1 })), 'INVALID_OPTION');
    await s.close();
  });
});

describe('prepare and commit', () => {
  test('prepare without commit writes nothing (also on disk)', async () => {
    const dir = tmp();
    let s = await StateStore.open(dir);
    await commit(s, new Map([[hex(utf8('a')), utf8('1')]]));
    const root = s.root;
    const p = await s.prepare(
      new Map([
        [hex(utf8('a')), utf8('2')],
        [hex(utf8('b')), utf8('3')],
      ]),
    );
    assert.equal(p.height, 2);
    assert.notDeepEqual(p.root, root);
    assert.equal(s.height, 1);
    assert.deepEqual(s.root, root);
    assert.deepEqual(await s.latest().get(utf8('a')), utf8('1'));
    assert.equal(await s.latest().get(utf8('b')), undefined);
    await s.close();
    s = await StateStore.open(dir);
    assert.equal(s.height, 1);
    assert.deepEqual(s.root, root);
    assert.equal(await s.latest().get(utf8('b')), undefined);
    const proof = await s.prove(utf8('b'));
    assert.ok(verifyProof(root, utf8('b'), undefined, proof.proof));
    await s.close();
  });

  test('a later prepare supersedes an earlier one; double commit refused', async () => {
    const s = await StateStore.memory();
    const p1 = await s.prepare(new Map([[hex(utf8('a')), utf8('1')]]));
    const p2 = await s.prepare(new Map([[hex(utf8('a')), utf8('2')]]));
    await expectCode(p1.commit(), 'STALE_PREPARE');
    await p2.commit();
    await expectCode(p2.commit(), 'ALREADY_COMMITTED');
    assert.deepEqual(await s.latest().get(utf8('a')), utf8('2'));
    assert.equal(s.height, 2 - 1);
    await s.close();
  });

  test('reads racing a commit see the whole block or none of it', async () => {
    const s = await StateStore.memory();
    const keys = Array.from({ length: 200 }, (_, i) => utf8(`r${i}`));
    await commit(s, new Map(keys.map((k) => [hex(k), utf8('old')])));
    // an iteration takes its snapshot when it starts (first next())
    const iterBefore = s.latest().iterate(utf8('r'))[Symbol.asyncIterator]();
    const first = await iterBefore.next();
    const p = await s.prepare(new Map(keys.map((k) => [hex(k), utf8('new')])));
    const reads = keys.map((k) => s.latest().get(k));
    const committing = p.commit();
    const during = keys.map((k) => s.latest().get(k));
    await committing;
    const values = (await Promise.all([...reads, ...during])).map((v) => Buffer.from(v!).toString());
    // every read returned old or new; the reads issued before the commit started saw one state for all keys
    assert.ok(values.every((v) => v === 'old' || v === 'new'));
    assert.equal(new Set(values.slice(0, keys.length)).size, 1);
    assert.ok(values.slice(keys.length).every((v) => v === 'new'));
    // the iteration started before the commit keeps its snapshot
    const seen: string[] = [Buffer.from(first.value![1]).toString()];
    for (let r = await iterBefore.next(); !r.done; r = await iterBefore.next())
      seen.push(Buffer.from(r.value[1]).toString());
    assert.equal(seen.length, keys.length);
    assert.ok(seen.every((v) => v === 'old'));
    await s.close();
  });

  test('records are written atomically with the state and read back', async () => {
    const dir = tmp();
    let s = await StateStore.open(dir);
    const p = await s.prepare(new Map([[hex(utf8('a')), utf8('1')]]));
    await p.commit({
      puts: [
        [utf8('block/1'), utf8('B1')],
        [utf8('tx/1'), utf8('T1')],
        [utf8('tx/2'), utf8('T2')],
      ],
    });
    await (await s.prepare(new Map())).commit({
      puts: [[utf8('block/2'), utf8('B2')]],
      dels: [utf8('tx/1')],
    });
    assert.equal(s.height, 2);
    await s.close();
    s = await StateStore.open(dir);
    assert.deepEqual(await s.getRecord(utf8('block/1')), utf8('B1'));
    assert.equal(await s.getRecord(utf8('tx/1')), undefined);
    assert.deepEqual(await collect(s.iterateRecords(utf8('block/'), { reverse: true })), [
      [hex(utf8('block/2')), hex(utf8('B2'))],
      [hex(utf8('block/1')), hex(utf8('B1'))],
    ]);
    // records are not state: not in the tree, not visible to state reads
    assert.equal(await s.latest().get(utf8('block/1')), undefined);
    assert.deepEqual(await collect(s.latest().iterate(new Uint8Array())), [[hex(utf8('a')), hex(utf8('1'))]]);
    await s.close();
  });

  test('bad writes are refused with clear codes and change nothing', async () => {
    const s = await StateStore.memory();
    await expectCode(s.prepare(new Map([['0xab', utf8('1')]])), 'INVALID_KEY');
    await expectCode(s.prepare(new Map([['ABCD', utf8('1')]])), 'INVALID_KEY');
    await expectCode(s.prepare(new Map([['abc', utf8('1')]])), 'INVALID_KEY');
    await expectCode(s.prepare(new Map([['ab', 'x' as never]])), 'INVALID_VALUE');
    await expectCode(s.prepare({} as never), 'INVALID_KEY');
    const p = await s.prepare(new Map([['ab', utf8('1')]]));
    await expectCode(p.commit({ puts: [[utf8('r'), 'x' as never]] }), 'INVALID_VALUE');
    assert.equal(s.height, 0);
    await p.commit();
    assert.equal(s.height, 1);
    await s.close();
    await expectCode(s.latest().get(utf8('ab')), 'STORE_CLOSED');
  });

  test('persists across reopen: height, root, values, past heights', async () => {
    const dir = tmp();
    let s = await StateStore.open(dir);
    const state = new Map<string, Uint8Array>();
    const r = rng(5);
    let rootAt3: Uint8Array | undefined;
    for (let h = 1; h <= 6; h++) {
      const w = new Map<string, Uint8Array | null>();
      for (let i = 0; i < 100; i++) w.set(hex(utf8(`q${r(150)}`)), r(6) === 0 ? null : utf8(`${h}/${i}`));
      const root = await commit(s, w);
      if (h === 3) rootAt3 = root;
      applyWrites(state, w);
    }
    const root = s.root;
    await s.close();
    s = await StateStore.open(dir);
    await expectCode(StateStore.open(dir), 'STORE_LOCKED');
    assert.equal(s.height, 6);
    assert.deepEqual(s.root, root);
    assert.deepEqual(s.root, referenceRoot(state));
    assert.deepEqual(await collect(s.latest().iterate(new Uint8Array())), expectRange(state, ''));
    assert.deepEqual((await s.prove(utf8('q1'), 3)).root, rootAt3);
    await s.close();
  });
});
