import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonify } from '@openledger/chain';
import { type WebSocket, WebSocketServer } from 'ws';
import type { BlockCommitted, Node } from './node.js';
import { RPC, RpcError, type RpcErrorObject, toRpcError } from './rpc-errors.js';
import { type RpcMethod, rpcMethods } from './rpc-methods.js';

export type RpcServerOptions = {
  port?: number;
  host?: string;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /** Largest JSON-RPC batch. */
  maxBatch?: number;
  /** Extra methods (followers forward ol_sendRawTransaction, the blob store adds its own). */
  methods?: Record<string, RpcMethod>;
  /** Extra HTTP routes tried before JSON-RPC (e.g. blob uploads): return true when handled. */
  routes?: Array<(req: IncomingMessage, res: ServerResponse) => Promise<boolean> | boolean>;
  log?: (line: string) => void;
};

export type RpcServer = { url: string; wsUrl: string; port: number; close(): Promise<void>; server: Server };

type JsonRpcRequest = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
type JsonRpcResponse = { jsonrpc: '2.0'; id: unknown; result?: unknown; error?: RpcErrorObject };

const validId = (id: unknown) =>
  id === undefined || id === null || typeof id === 'string' || typeof id === 'number';

export type RpcHandler = {
  /** Answers a JSON-RPC body (single or batch); undefined when it held only notifications. */
  handlePayload(text: string): Promise<unknown>;
  readonly methods: Record<string, RpcMethod>;
};

/**
 * The JSON-RPC 2.0 dispatcher without transport: what the HTTP and WebSocket servers run for each
 * body (exported for in-process callers and tests).
 */
export function createRpcHandler(
  node: Node,
  opts: Pick<RpcServerOptions, 'maxBatch' | 'methods' | 'log'> = {},
): RpcHandler {
  const maxBatch = opts.maxBatch ?? 100;
  const methods = rpcMethods(node, opts.methods);
  const log = opts.log ?? (() => {});

  async function handleOne(req: unknown): Promise<JsonRpcResponse | undefined> {
    if (req === null || typeof req !== 'object' || Array.isArray(req)) {
      return {
        jsonrpc: '2.0',
        id: null,
        error: { code: RPC.INVALID_REQUEST, message: 'a request must be a JSON object' },
      };
    }
    const { jsonrpc, id, method, params } = req as JsonRpcRequest;
    const reply = (r: Omit<JsonRpcResponse, 'jsonrpc' | 'id'>): JsonRpcResponse => ({
      jsonrpc: '2.0',
      id: validId(id) ? (id ?? null) : null,
      ...r,
    });
    if (jsonrpc !== '2.0' || typeof method !== 'string' || !validId(id)) {
      return reply({
        error: { code: RPC.INVALID_REQUEST, message: 'expected {"jsonrpc":"2.0","method":…,"id":…}' },
      });
    }
    // a notification (no id) is never answered, not even with an error (JSON-RPC 2.0 §4.1)
    const notification = id === undefined;
    if (params !== undefined && !Array.isArray(params)) {
      if (notification) return undefined;
      return reply({ error: { code: RPC.INVALID_PARAMS, message: 'params must be an array (positional)' } });
    }
    const fn = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!fn) {
      if (notification) return undefined;
      return reply({
        error: { code: RPC.METHOD_NOT_FOUND, message: `method ${method.slice(0, 64)} does not exist` },
      });
    }
    try {
      const result = await fn((params as unknown[]) ?? []);
      if (id === undefined) return undefined; // notification
      return reply({ result: jsonify(result) ?? null });
    } catch (e) {
      const error = toRpcError(e);
      if (error.code === RPC.INTERNAL)
        log(`internal error in ${method}: ${(e as Error)?.stack ?? String(e)}`);
      return id === undefined ? undefined : reply({ error });
    }
  }

  async function handlePayload(text: string): Promise<unknown> {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return {
        jsonrpc: '2.0',
        id: null,
        error: { code: RPC.PARSE_ERROR, message: 'request body is not valid JSON' },
      };
    }
    if (Array.isArray(body)) {
      if (body.length === 0)
        return { jsonrpc: '2.0', id: null, error: { code: RPC.INVALID_REQUEST, message: 'empty batch' } };
      if (body.length > maxBatch) {
        return {
          jsonrpc: '2.0',
          id: null,
          error: {
            code: RPC.INVALID_REQUEST,
            message: `batch of ${body.length} requests; the limit is ${maxBatch}`,
          },
        };
      }
      const out = [];
      for (const r of body) {
        const res = await handleOne(r);
        if (res) out.push(res);
      }
      return out.length ? out : undefined;
    }
    return handleOne(body);
  }

  return { handlePayload, methods };
}

/**
 * JSON-RPC 2.0 over HTTP (POST /) and WebSocket (/ws on the same port), with subscriptions to new
 * blocks and events over WebSocket. Every failure is a JSON-RPC error with a code and a message a
 * person can act on; the server never answers with a stack trace and never crashes on bad input.
 */
export async function startRpcServer(node: Node, opts: RpcServerOptions = {}): Promise<RpcServer> {
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const { handlePayload } = createRpcHandler(node, opts);
  const log = opts.log ?? (() => {});

  const server = createServer(async (req, res) => {
    try {
      for (const route of opts.routes ?? []) if (await route(req, res)) return;
      const send = (status: number, payload: unknown) => {
        const text = JSON.stringify(payload);
        res.writeHead(status, {
          'content-type': 'application/json',
          'access-control-allow-origin': '*',
          'access-control-allow-headers': 'content-type',
        });
        res.end(text);
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': 'POST, GET, OPTIONS',
          'access-control-allow-headers': 'content-type',
        });
        return res.end();
      }
      if (req.method === 'GET' && (req.url === '/health' || req.url === '/')) {
        return send(200, { ok: true, chainId: node.chainId.toString(), height: node.height });
      }
      if (req.method !== 'POST') {
        return send(405, {
          jsonrpc: '2.0',
          id: null,
          error: { code: RPC.INVALID_REQUEST, message: 'use POST with a JSON-RPC body' },
        });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > maxBody) {
          send(413, {
            jsonrpc: '2.0',
            id: null,
            error: { code: RPC.INVALID_REQUEST, message: `request body over ${maxBody} bytes` },
          });
          req.destroy();
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const result = await handlePayload(Buffer.concat(chunks).toString('utf8'));
      if (result === undefined) {
        res.writeHead(204);
        return res.end();
      }
      send(200, result);
    } catch (e) {
      log(`http handler error: ${String(e)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: null,
          error: { code: RPC.INTERNAL, message: 'internal error' },
        }),
      );
    }
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  // ---- WebSocket: the same methods plus subscriptions ----
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: maxBody });
  type Sub = {
    id: string;
    ws: WebSocket;
    kind: 'newBlocks' | 'events';
    filter: { type?: string; attribute?: string };
  };
  const subs = new Map<string, Sub>();
  let nextSub = 1;
  const onBlock = (b: BlockCommitted) => {
    for (const sub of subs.values()) {
      if (sub.ws.readyState !== sub.ws.OPEN) continue;
      let result: unknown;
      if (sub.kind === 'newBlocks') {
        result = {
          ...(jsonify(b.header) as object),
          time: Number(b.header.time),
          transactions: b.receipts.map((r) => r.txHash),
        };
      } else {
        const all = [
          ...b.receipts.flatMap((r) => r.events.map((e) => ({ ...e, txHash: r.txHash }))),
          ...b.blockEvents.map((e) => ({ ...e, txHash: null })),
        ];
        const matching = all.filter(
          (e) =>
            (!sub.filter.type || e.type === sub.filter.type || e.type.startsWith(`${sub.filter.type}.`)) &&
            (!sub.filter.attribute || e.attributes.some(([, v]) => v === sub.filter.attribute)),
        );
        if (!matching.length) continue;
        result = { height: b.header.height, events: matching };
      }
      sub.ws.send(
        JSON.stringify({
          jsonrpc: '2.0',
          method: 'ol_subscription',
          params: { subscription: sub.id, result },
        }),
      );
    }
  };
  node.on('block', onBlock);

  wss.on('connection', (ws) => {
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      for (const [id, s] of subs) if (s.ws === ws) subs.delete(id);
    });
    ws.on('message', async (data) => {
      const text = data.toString();
      let parsed: JsonRpcRequest | undefined;
      try {
        parsed = JSON.parse(text) as JsonRpcRequest;
      } catch {
        /* handled by handlePayload */
      }
      if (
        parsed &&
        !Array.isArray(parsed) &&
        typeof parsed === 'object' &&
        (parsed.method === 'ol_subscribe' || parsed.method === 'ol_unsubscribe')
      ) {
        const params = Array.isArray(parsed.params) ? parsed.params : [];
        const notification = !('id' in parsed);
        const reply = (r: object) =>
          notification ||
          ws.send(
            JSON.stringify({ jsonrpc: '2.0', id: validId(parsed?.id) ? (parsed?.id ?? null) : null, ...r }),
          );
        if (parsed.method === 'ol_unsubscribe') {
          const id = String(params[0]);
          const existed = subs.get(id)?.ws === ws && subs.delete(id);
          return reply({ result: existed });
        }
        const kind = params[0];
        if (kind !== 'newBlocks' && kind !== 'events') {
          return reply({
            error: { code: RPC.INVALID_PARAMS, message: "subscribe to 'newBlocks' or 'events'" },
          });
        }
        const f = (params[1] ?? {}) as { type?: unknown; attribute?: unknown };
        const id = `0x${(nextSub++).toString(16)}`;
        subs.set(id, {
          id,
          ws,
          kind,
          filter: {
            ...(typeof f.type === 'string' ? { type: f.type } : {}),
            ...(typeof f.attribute === 'string' ? { attribute: f.attribute } : {}),
          },
        });
        return reply({ result: id });
      }
      const result = await handlePayload(text);
      if (result !== undefined && ws.readyState === ws.OPEN) ws.send(JSON.stringify(result));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}/ws`,
    port,
    server,
    async close() {
      node.off('block', onBlock);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export { RpcError };
