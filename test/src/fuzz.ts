/**
 * Fuzzing of the transaction decoder and the JSON-RPC server (issue: "the node never crashes").
 *
 * Decoder: random bytes, random canonical values, and valid signed transactions mutated (bytes
 * flipped, truncated, extended, inserted; fields swapped or replaced; kind, chainId or signature
 * altered, high s). `registry.decodeTx` and `app.prepareTx` must either accept — then the bytes are
 * the canonical encoding of what was decoded, native and @noble/curves recovery agree, and only an
 * unmodified signed transaction passes `checkTx` — or throw a BaseError with a code; never anything else.
 *
 * RPC: random JSON values, random methods from the real list with random parameters, mutated valid
 * requests, random strings, batches up to beyond the limit — in-process through the same handler the
 * servers use, and over real HTTP (random byte bodies too) and WebSocket. Every answer must be valid
 * JSON-RPC 2.0 (matching id, a result or an error with an integer code and a message), no internal
 * error (an unexpected exception) may occur, the server stays up, and state changes only through
 * the valid signed transactions the fuzzer itself holds.
 */
import {
  Ctx,
  createApp,
  InfiniteGasMeter,
  type PreparedTx,
  SYSTEM,
  signTransaction,
} from '@openledger/chain';
import {
  type Address,
  BaseError,
  bigintToBytes,
  bytesToBigint,
  decode,
  encode,
  equalBytes,
  type Hex,
  OPEN,
  SECP256K1_N,
  toHex,
  type Value,
} from '@openledger/core';
import { createRpcHandler, Node, startRpcServer } from '@openledger/node';
import fc from 'fast-check';
import WebSocket from 'ws';
import { SEQUENCER_KEY, SINKS, testGenesis, USER_KEYS, USERS } from './fixture.js';

export type FuzzOptions = {
  decoderRuns: number;
  rpcRuns: number;
  httpRuns: number;
  wsRuns: number;
  seed?: number;
};

export type FuzzCounts = {
  decoderInputs: number;
  decoderAccepted: number;
  decoderCheckTxPassed: number;
  rpcInputs: number;
  rpcRequests: number;
  rpcResults: number;
  rpcErrors: number;
  httpInputs: number;
  wsInputs: number;
  total: number;
  mempoolAccepted: number;
  includedInBlock: number;
  seed: number;
};

class FuzzFailure extends Error {}
const fail = (message: string): never => {
  throw new FuzzFailure(message);
};

// ---------------------------------------------------------------- arbitraries

const valueArb: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
    fc.uint8Array({ maxLength: 70 }),
    fc.string({ maxLength: 24 }),
    fc.array(tie('v'), { maxLength: 6 }),
  ),
})).v;

type Mutation = (b: Uint8Array) => Uint8Array;

const concat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** Edits the decoded generic form [chainId, kind, fields[], signature]; unchanged when it does not decode. */
function editValue(b: Uint8Array, edit: (slots: Value[][], index: (i: number) => [Value[], number]) => void) {
  let v: Value;
  try {
    v = decode(b);
  } catch {
    return b;
  }
  if (!Array.isArray(v) || v.length !== 4 || !Array.isArray(v[2])) return b;
  const top = [...v] as Value[];
  const fields = [...(v[2] as Value[])];
  top[2] = fields;
  const index = (i: number): [Value[], number] => {
    const n = top.length + fields.length;
    const k = i % n;
    return k < top.length ? [top, k] : [fields, k - top.length];
  };
  edit([top, fields], index);
  return encode(top);
}

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ i: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }).map(({ i, mask }) => (b: Uint8Array) => {
    const c = b.slice();
    if (c.length) c[i % c.length]! ^= mask;
    return c;
  }),
  fc.nat().map((n) => (b: Uint8Array) => b.slice(0, b.length ? n % b.length : 0)),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((x) => (b: Uint8Array) => concat(b, x)),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([i, x]) => (b: Uint8Array) => {
    const at = b.length ? i % b.length : 0;
    return concat(concat(b.subarray(0, at), x), b.subarray(at));
  }),
  fc.tuple(fc.nat(), fc.nat()).map(
    ([i, j]) =>
      (b: Uint8Array) =>
        editValue(b, (_s, index) => {
          const [la, a] = index(i);
          const [lb, c] = index(j);
          const t = la[a]!;
          la[a] = lb[c]!;
          lb[c] = t;
        }),
  ),
  fc.tuple(fc.nat(), valueArb).map(
    ([i, x]) =>
      (b: Uint8Array) =>
        editValue(b, (_s, index) => {
          const [l, k] = index(i);
          l[k] = x;
        }),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: -2, max: 2 })).map(
    ([i, d]) =>
      (b: Uint8Array) =>
        editValue(b, ([, fields]) => {
          // drop or duplicate fields
          if (!fields!.length) return;
          const k = i % fields!.length;
          if (d < 0) fields!.splice(k, -d);
          else for (let n = 0; n < d; n++) fields!.splice(k, 0, fields![k]!);
        }),
  ),
  fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('Transfer', 'Bond', 'Propose', 'transfer', '')).map(
    (kind) => (b: Uint8Array) =>
      editValue(b, ([top]) => {
        top![1] = kind;
      }),
  ),
  fc.bigInt({ min: 0n, max: 1n << 70n }).map(
    (chainId) => (b: Uint8Array) =>
      editValue(b, ([top]) => {
        top![0] = chainId;
      }),
  ),
  // high s: s → n − s with v flipped is the same signature in the other form, which must be refused
  fc.constant((b: Uint8Array) =>
    editValue(b, ([top]) => {
      const sig = top![3];
      if (!(sig instanceof Uint8Array) || sig.length !== 65) return;
      const s = bytesToBigint(sig.subarray(32, 64));
      const c = sig.slice();
      c.set(bigintToBytes(SECP256K1_N - s, 32), 32);
      c[64] = c[64] === 27 ? 28 : 27;
      top![3] = c;
    }),
  ),
  fc.integer({ min: 0, max: 255 }).map(
    (v) => (b: Uint8Array) =>
      editValue(b, ([top]) => {
        const sig = top![3];
        if (sig instanceof Uint8Array && sig.length === 65) {
          const c = sig.slice();
          c[64] = v;
          top![3] = c;
        }
      }),
  ),
);

// ---------------------------------------------------------------- checks

/** Whatever is thrown must be a BaseError (ChainError, StoreError, …) with a non-empty string code. */
function expectBaseError(e: unknown, where: string): BaseError {
  if (e instanceof FuzzFailure) throw e;
  if (!(e instanceof BaseError) || typeof e.code !== 'string' || e.code.length === 0) {
    fail(`${where} threw a non-BaseError: ${(e as Error)?.stack ?? String(e)}`);
  }
  return e as BaseError;
}

type Resp = {
  jsonrpc?: unknown;
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
};

/** A JSON-RPC 2.0 response object: matching id, exactly one of result / error, a valid error. */
function checkResponse(r: unknown, where: string, expectId?: unknown): 'result' | 'error' {
  if (r === null || typeof r !== 'object' || Array.isArray(r))
    return fail(`${where}: response is not an object`);
  const o = r as Resp;
  if (o.jsonrpc !== '2.0') fail(`${where}: jsonrpc is ${String(o.jsonrpc)}`);
  if (!('id' in o)) fail(`${where}: no id`);
  if (!(o.id === null || typeof o.id === 'string' || typeof o.id === 'number')) fail(`${where}: bad id type`);
  if (expectId !== undefined && o.id !== expectId)
    fail(`${where}: id ${String(o.id)} != ${String(expectId)}`);
  const hasResult = 'result' in o;
  const hasError = 'error' in o;
  if (hasResult === hasError) fail(`${where}: needs exactly one of result and error`);
  if (hasError) {
    const e = o.error!;
    if (typeof e !== 'object' || e === null) fail(`${where}: error is not an object`);
    if (!Number.isInteger(e.code)) fail(`${where}: error code ${String(e.code)}`);
    if (typeof e.message !== 'string' || !e.message) fail(`${where}: error without message`);
    if (e.code === -32603) fail(`${where}: internal error answered: ${JSON.stringify(o)}`);
    return 'error';
  }
  return 'result';
}

/** A well-formed request without an id: JSON-RPC 2.0 says it must not be answered. */
const isNotification = (x: unknown) =>
  x !== null &&
  typeof x === 'object' &&
  !Array.isArray(x) &&
  !('id' in (x as object)) &&
  (x as { jsonrpc?: unknown }).jsonrpc === '2.0' &&
  typeof (x as { method?: unknown }).method === 'string';

/** A payload that must go unanswered: one notification, or a non-empty batch of them. */
function isNotificationOnly(payload: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return false;
  }
  return Array.isArray(parsed)
    ? parsed.length > 0 && parsed.length <= 100 && parsed.every(isNotification)
    : isNotification(parsed);
}

/** Checks an answer to a payload; returns the number of results and errors. */
function checkAnswer(payload: string, answer: unknown, where: string): { results: number; errors: number } {
  let parsed: unknown;
  let parsedOk = true;
  try {
    parsed = JSON.parse(payload);
  } catch {
    parsedOk = false;
  }
  // the answer must survive the wire
  const text = JSON.stringify(answer);
  if (answer !== undefined && JSON.stringify(JSON.parse(text)) !== text)
    fail(`${where}: answer does not round-trip`);
  const count = { results: 0, errors: 0 };
  const add = (k: 'result' | 'error') => (k === 'result' ? count.results++ : count.errors++);
  if (answer === undefined) {
    // only a notification, or a batch of notifications, may go unanswered
    if (!isNotificationOnly(payload)) fail(`${where}: no answer to ${payload.slice(0, 200)}`);
    return count;
  }
  if (isNotificationOnly(payload)) fail(`${where}: a notification was answered: ${payload.slice(0, 200)}`);
  if (Array.isArray(answer)) {
    if (!parsedOk || !Array.isArray(parsed)) fail(`${where}: a list answered to a non-batch`);
    const p = parsed as unknown[];
    if (answer.length === 0) fail(`${where}: empty batch answer`);
    if (answer.length > p.length) fail(`${where}: more answers than requests`);
    const expected = p.length > 100 ? 1 : p.filter((x) => !isNotification(x)).length;
    if (answer.length !== expected) fail(`${where}: ${answer.length} answers for ${expected} requests`);
    for (const r of answer) add(checkResponse(r, where));
    return count;
  }
  const single = parsedOk && parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  const id = single ? (parsed as { id?: unknown }).id : undefined;
  const validId = id === null || typeof id === 'string' || typeof id === 'number';
  add(checkResponse(answer, where, single && validId ? id : undefined));
  return count;
}

// ---------------------------------------------------------------- the runner

export async function runFuzz(opts: FuzzOptions): Promise<FuzzCounts> {
  const seed = opts.seed ?? 424242;
  const genesis = testGenesis();
  let t = genesis.genesisTime;
  const node = await Node.open({ genesis, sequencerKey: SEQUENCER_KEY, now: () => ++t });
  const app = node.app;
  const noble = createApp();
  const registry = app.registry;
  const counts: FuzzCounts = {
    decoderInputs: 0,
    decoderAccepted: 0,
    decoderCheckTxPassed: 0,
    rpcInputs: 0,
    rpcRequests: 0,
    rpcResults: 0,
    rpcErrors: 0,
    httpInputs: 0,
    wsInputs: 0,
    total: 0,
    mempoolAccepted: 0,
    includedInBlock: 0,
    seed,
  };

  // a pool of valid signed transfers (some of them in blocks already, the rest valid for the mempool)
  const sign = (u: number, nonce: bigint, to: Address, amount: bigint, gasLimit = 100_000n) =>
    registry.encodeTx(
      signTransaction(
        registry,
        node.chainId,
        'Transfer',
        { from: USERS[u]!, to, amount, nonce, gasLimit, gasPrice: 1_000_000_000n },
        USER_KEYS[u]!,
      ),
    );
  const pool: Uint8Array[] = [];
  for (let u = 0; u < 4; u++) for (let n = 0n; n < 6n; n++) pool.push(sign(u, n, SINKS[u]!, (n + 1n) * OPEN));
  // odd ones: huge amount (fails at execution), zero amount, wrong chain, tiny gas limit, a future nonce
  pool.push(sign(4, 0n, SINKS[0]!, (1n << 255n) + 7n));
  pool.push(sign(5, 0n, USERS[6]!, 0n));
  pool.push(sign(6, 0n, SINKS[1]!, 1n, 21_000n));
  pool.push(sign(7, 9n, SINKS[2]!, 1n));
  pool.push(
    registry.encodeTx(
      signTransaction(
        registry,
        1n,
        'Transfer',
        {
          from: USERS[7]!,
          to: SINKS[3]!,
          amount: 1n,
          nonce: 0n,
          gasLimit: 100_000n,
          gasPrice: 1_000_000_000n,
        },
        USER_KEYS[7]!,
      ),
    ),
  );
  const poolHashes = new Set(pool.map((b) => app.prepareTx(b).hash));
  // two blocks with a few of them, so blocks, receipts and transactions exist for the RPC fuzz
  for (const i of [0, 6, 12]) await node.submit(pool[i]!);
  await node.produceBlock();
  await node.submit(pool[1]!);
  await node.produceBlock();

  const readCtx = () =>
    new Ctx(
      node.store.latest(),
      new InfiniteGasMeter(),
      {
        chainId: node.chainId,
        height: node.height + 1,
        time: node.latestHeader.time,
        proposer: node.sequencer,
      },
      SYSTEM,
      app.keepers,
    );

  // ---------------- decoder
  const inputArb = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.constantFrom(...pool), fc.array(mutationArb, { minLength: 1, maxLength: 3 }))
        .map(([b, ms]) => ms.reduce((x, m) => m(x), b)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: valueArb.map((v) => encode(v)) },
    { weight: 1, arbitrary: fc.constantFrom(...pool) },
  );
  let decoderIndex = 0;
  await fc.assert(
    fc.asyncProperty(inputArb, async (bytes) => {
      counts.decoderInputs++;
      const i = decoderIndex++;
      let decodedOk = false;
      try {
        registry.decodeTx(bytes);
        decodedOk = true;
      } catch (e) {
        expectBaseError(e, 'registry.decodeTx');
      }
      let p: PreparedTx;
      try {
        p = app.prepareTx(bytes);
      } catch (e) {
        expectBaseError(e, 'app.prepareTx');
        // differential: the pure-JS fallback refuses it too (checked on a sample, noble is slow)
        if (i % 8 === 0) {
          let nobleOk = true;
          try {
            noble.prepareTx(bytes);
          } catch (e2) {
            expectBaseError(e2, 'noble prepareTx');
            nobleOk = false;
          }
          if (nobleOk) fail(`native recovery refused what @noble/curves accepts: ${toHex(bytes)}`);
        }
        return;
      }
      if (!decodedOk) fail('prepareTx accepted bytes that decodeTx refused');
      counts.decoderAccepted++;
      if (!equalBytes(registry.encodeTx(p.tx), bytes))
        fail(`accepted a non-canonical encoding ${toHex(bytes)}`);
      if (i % 8 === 0) {
        const q = noble.prepareTx(bytes);
        if (q.sender !== p.sender || q.hash !== p.hash)
          fail('native and @noble/curves recover different signers');
      }
      try {
        await app.checkTx(readCtx(), p, { allowFutureNonce: true });
      } catch (e) {
        expectBaseError(e, 'app.checkTx');
        return;
      }
      counts.decoderCheckTxPassed++;
      if (!poolHashes.has(p.hash)) fail(`a mutated transaction passed checkTx: ${toHex(bytes)}`);
    }),
    { numRuns: opts.decoderRuns, seed, endOnFailure: true, includeErrorInReport: true },
  );

  // ---------------- RPC
  const internal: string[] = [];
  const handler = createRpcHandler(node, { log: (line) => internal.push(line) });
  const methodNames = Object.keys(handler.methods);
  const rootBefore = toHex(node.store.root);
  const heightBefore = node.height;
  const knownHashes: Hex[] = [...poolHashes].slice(0, 8);
  const blockHashes: Hex[] = [(await node.getBlock(1))!.header.hash, node.latestHeader.hash];
  const hexArb = fc.uint8Array({ maxLength: 80 }).map((b) => toHex(b));
  const paramArb: fc.Arbitrary<unknown> = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    hexArb,
    fc.constantFrom(...USERS, ...SINKS, ...USERS.map((u) => u.toLowerCase()), ...knownHashes, ...blockHashes),
    fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => toHex(b)),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b)),
    fc.constantFrom(
      'latest',
      'pending',
      'earliest',
      'safe',
      '0x0',
      '0x1',
      '0x2',
      '0xffffffffffffffffffff',
      'bank.balance',
      'bank.supply',
      'auth.nonce',
      'bank.__proto__',
      'constructor.name',
      '__proto__',
      'toString',
    ),
    fc.integer({ min: -5, max: 10 }),
    fc.double(),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 32, 2 ** 53 + 2, -0, 1e308),
    fc.constantFrom(...pool).map((b) => toHex(b)),
    fc.record(
      {
        kind: fc.constantFrom('Transfer', 'Nope', '__proto__', 'constructor'),
        message: fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.record(
            {
              from: fc.constantFrom<unknown>(...USERS, 'x', 5, null),
              to: fc.constantFrom<unknown>(...SINKS, '0x00', []),
              amount: fc.oneof(fc.constantFrom<unknown>('1', '0', '-1', '1e3', 10, 1.5, null), fc.string()),
              nonce: fc.constantFrom<unknown>(
                '0',
                0,
                '99999999999999999999999999999999999999999999999999999999999999999999999999999999',
              ),
              gasLimit: fc.constantFrom<unknown>('0', '100000', 1e30),
              gasPrice: fc.constantFrom<unknown>('1000000000', '0', {}),
              extra: fc.jsonValue({ maxDepth: 1 }),
            },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
    fc.constantFrom(
      { address: USERS[0] },
      { address: '0x12' },
      { __proto__: null },
      { address: { toString: 1 } },
    ),
  );
  const idArb = fc.oneof(fc.nat(), fc.string({ maxLength: 8 }), fc.constant(null));
  const requestArb = fc.record(
    {
      jsonrpc: fc.constant('2.0'),
      id: idArb,
      method: fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...methodNames) },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '__proto__',
            'constructor',
            'hasOwnProperty',
            'ol_subscribe',
            'toString',
          ),
        },
      ),
      params: fc.array(paramArb, { maxLength: 4 }),
    },
    { requiredKeys: ['jsonrpc', 'method'] },
  );
  const mutatedRequestArb = fc
    .tuple(
      requestArb,
      fc.constantFrom('jsonrpc', 'id', 'method', 'params', 'extra'),
      fc.jsonValue({ maxDepth: 2 }),
      fc.boolean(),
    )
    .map(([r, key, value, del]) => {
      const o = { ...r } as Record<string, unknown>;
      if (del) delete o[key];
      else o[key] = value;
      return o;
    });
  const payloadArb: fc.Arbitrary<string> = fc.oneof(
    { weight: 10, arbitrary: requestArb.map((r) => JSON.stringify(r)) },
    { weight: 4, arbitrary: mutatedRequestArb.map((r) => JSON.stringify(r)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.oneof(requestArb, mutatedRequestArb), { minLength: 0, maxLength: 12 })
        .map((b) => JSON.stringify(b)),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 95, max: 130 })
        .chain((n) => fc.array(requestArb, { minLength: n, maxLength: n }))
        .map((b) => JSON.stringify(b)),
    },
  );
  await fc.assert(
    fc.asyncProperty(payloadArb, async (payload) => {
      counts.rpcInputs++;
      let answer: unknown;
      try {
        answer = await handler.handlePayload(payload);
      } catch (e) {
        fail(`the handler threw: ${(e as Error)?.stack ?? String(e)} for ${payload.slice(0, 300)}`);
      }
      if (internal.length) fail(`internal error for ${payload.slice(0, 300)}: ${internal[0]}`);
      const c = checkAnswer(payload, answer, 'in-process');
      counts.rpcResults += c.results;
      counts.rpcErrors += c.errors;
      counts.rpcRequests += c.results + c.errors;
    }),
    { numRuns: opts.rpcRuns, seed: seed + 1, endOnFailure: true, includeErrorInReport: true },
  );
  // a batch far beyond the limit is refused as a whole
  const huge = JSON.stringify(
    Array.from({ length: 20_000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' })),
  );
  const hugeAnswer = (await handler.handlePayload(huge)) as Resp;
  if (checkAnswer(huge, hugeAnswer, 'huge batch').errors !== 1 || hugeAnswer.error?.code !== -32600)
    fail('huge batch not refused');
  counts.rpcInputs++;

  // ---------------- over HTTP (and WebSocket), against a real server
  const rpc = await startRpcServer(node, { log: (line) => internal.push(line), maxBodyBytes: 256 * 1024 });
  try {
    const httpArb = fc.oneof(
      { weight: 6, arbitrary: payloadArb.map((p) => ({ body: Buffer.from(p), method: 'POST' })) },
      {
        weight: 2,
        arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => ({ body: Buffer.from(b), method: 'POST' })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('GET', 'PUT', 'DELETE', 'PATCH')
          .map((method) => ({ body: undefined, method })),
      },
      { weight: 1, arbitrary: fc.constant({ body: Buffer.alloc(300 * 1024, 0x20), method: 'POST' }) },
    );
    await fc.assert(
      fc.asyncProperty(httpArb, async ({ body, method }) => {
        counts.httpInputs++;
        const res = await fetch(rpc.url, {
          method,
          ...(body ? { body } : {}),
          headers: { 'content-type': 'application/json' },
        });
        const text = await res.text();
        if (internal.length) fail(`internal error over HTTP: ${internal[0]}`);
        if (res.status === 204) {
          checkAnswer(body?.toString('utf8') ?? '', undefined, 'http 204');
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          fail(`HTTP ${res.status} answered non-JSON: ${text.slice(0, 200)}`);
        }
        if (method === 'GET') {
          if (res.status !== 405 && res.status !== 200) fail(`GET answered ${res.status}`);
          return;
        }
        if (method !== 'POST') {
          if (res.status !== 405) fail(`${method} answered ${res.status}`);
          checkResponse(json, `http ${method}`);
          return;
        }
        if (body!.length > 256 * 1024) {
          if (res.status !== 413) fail(`oversized body answered ${res.status}`);
          checkResponse(json, 'http 413');
          return;
        }
        if (res.status !== 200) fail(`HTTP status ${res.status} for a POST`);
        checkAnswer(body!.toString('utf8'), json, 'http');
      }),
      { numRuns: opts.httpRuns, seed: seed + 2, endOnFailure: true, includeErrorInReport: true },
    );

    if (opts.wsRuns > 0) {
      const ws = new WebSocket(rpc.wsUrl);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const queue: string[] = [];
      let wake: (() => void) | undefined;
      ws.on('message', (d) => {
        queue.push(d.toString());
        wake?.();
      });
      const next = async (ms: number): Promise<string | undefined> => {
        if (!queue.length) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((r) => (wake = r)),
            new Promise((r) => {
              timer = setTimeout(r, ms);
            }),
          ]);
          clearTimeout(timer);
        }
        wake = undefined;
        return queue.shift();
      };
      await fc.assert(
        fc.asyncProperty(payloadArb, async (payload) => {
          counts.wsInputs++;
          ws.send(payload);
          // answers over WebSocket may come in any order, so each input waits for its own answer;
          // after a notification-only input a marker request checks that nothing was answered
          const answers: unknown[] = [];
          const notificationOnly = isNotificationOnly(payload);
          if (notificationOnly)
            ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'marker', method: 'eth_blockNumber' }));
          for (;;) {
            const m = await next(10_000);
            if (m === undefined) fail('the WebSocket stopped answering');
            const parsed = JSON.parse(m!) as { id?: unknown; method?: string };
            if (parsed.method === 'ol_subscription') continue;
            if (notificationOnly && !Array.isArray(parsed) && parsed.id === 'marker') break;
            answers.push(parsed);
            if (!notificationOnly) break;
          }
          if (internal.length) fail(`internal error over WebSocket: ${internal[0]}`);
          if (notificationOnly && answers.length)
            fail(`a notification was answered: ${payload.slice(0, 200)}`);
          checkAnswer(payload, answers[0], 'ws');
        }),
        { numRuns: opts.wsRuns, seed: seed + 3, endOnFailure: true, includeErrorInReport: true },
      );
      ws.close();
    }

    // the server is still up
    const info = await fetch(rpc.url, {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ol_chainInfo' }),
    });
    if (((await info.json()) as { result?: { height: number } }).result?.height !== node.height)
      fail('server is down');
  } finally {
    await rpc.close();
  }

  // ---------------- state changed only through the fuzzer's valid transactions
  if (node.height !== heightBefore || toHex(node.store.root) !== rootBefore)
    fail('state changed without a block');
  const pending = await node.mempool.select(100_000, (a) => node.nonceOf(a));
  counts.mempoolAccepted = node.mempool.size;
  for (const p of pending)
    if (!poolHashes.has(p.hash)) fail(`the mempool holds a transaction the fuzzer never signed: ${p.hash}`);
  const { receipts } = await node.produceBlock();
  counts.includedInBlock = receipts.length;
  for (const r of receipts)
    if (!poolHashes.has(r.txHash)) fail(`block includes unknown transaction ${r.txHash}`);
  const violations = await app.checkInvariants(node.store.latest(), {
    chainId: node.chainId,
    height: node.height + 1,
    time: node.latestHeader.time,
    proposer: node.sequencer,
  });
  if (violations.length) fail(`invariants: ${violations.join('; ')}`);
  await node.close();
  counts.total = counts.decoderInputs + counts.rpcInputs + counts.httpInputs + counts.wsInputs;
  return counts;
}
