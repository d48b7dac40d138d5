/**
 * A V2Board / Xboard panel stand-in, written from shared/reference/xboard-contract.md (V1 UniProxy):
 * push, user (with ETag / If-None-Match -> 304) and config, authenticated by token and node_id from the query
 * string or the JSON body, with the panel's exact error answers. It records every push it applied, every request
 * it saw, and when each node last checked in. It can apply a push and then drop the connection instead of
 * answering, the "lost response" a node cannot tell from a push that never arrived.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PanelNode {
  id: number;
  type: string;
}

export interface PanelUser {
  id: number;
  uuid: string;
  speed_limit: number | null;
  device_limit: number | null;
}

export interface AppliedPush {
  nodeId: number;
  nodeType: string;
  /** The entries the panel booked: two-number arrays only. */
  traffic: Record<string, [number, number]>;
}

export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface PanelStandIn {
  url: string;
  port: number;
  token: string;
  nodes: PanelNode[];
  users: PanelUser[];
  applied: AppliedPush[];
  requests: SeenRequest[];
  /** Node id -> when it last called `user` (what makes the panel show it online). */
  lastCheckAt: Map<number, number>;
  /** The next this-many pushes are applied, then the connection is destroyed without an answer. */
  dropResponses: number;
  /** The next this-many pushes are applied, then never answered (the node's wait for an answer times out). */
  stallResponses: number;
  /** One-shot: answers the next request with this instead (e.g. a framework's HTML error page), applying nothing. */
  nextAnswer: ((requestUrl: string) => { status: number; body: string }) | null;
  /** User totals as the panel books them (rate 1): id -> [u, d]. */
  totals(): Record<string, [number, number]>;
  close(): Promise<void>;
}

const ALIASES: Record<string, string> = { v2ray: 'vmess', hysteria2: 'hysteria' };
const PREFIX = '/api/v1/server/UniProxy/';

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const etagOf = (body: string) => `"${createHash('sha1').update(body).digest('hex')}"`;

export async function startPanelStandIn(
  opts: { token?: string; nodes?: PanelNode[]; users?: PanelUser[]; port?: number } = {},
): Promise<PanelStandIn> {
  const panel: Omit<PanelStandIn, 'url' | 'port' | 'close'> = {
    token: opts.token ?? 'panel-secret-token',
    nodes: opts.nodes ?? [{ id: 5, type: 'vmess' }],
    users: opts.users ?? [
      { id: 1, uuid: '00000000-0000-4000-8000-000000000001', speed_limit: null, device_limit: null },
      { id: 7, uuid: '00000000-0000-4000-8000-000000000007', speed_limit: null, device_limit: null },
    ],
    applied: [],
    requests: [],
    lastCheckAt: new Map(),
    dropResponses: 0,
    stallResponses: 0,
    nextAnswer: null,
    totals() {
      const out: Record<string, [number, number]> = {};
      for (const p of panel.applied) {
        for (const [uid, [u, d]] of Object.entries(p.traffic)) {
          const prev = out[uid] ?? [0, 0];
          out[uid] = [prev[0] + u, prev[1] + d];
        }
      }
      return out;
    },
  };

  /** The panel's Server middleware: token, then node_id (id or code), then node_type if given. */
  function authenticate(params: Record<string, unknown>, res: ServerResponse): PanelNode | null {
    if (params.token !== panel.token) {
      json(res, 422, { message: 'Invalid token', errors: { token: ['The token is invalid.'] } });
      return null;
    }
    const type =
      typeof params.node_type === 'string' && params.node_type !== ''
        ? (ALIASES[params.node_type] ?? params.node_type)
        : null;
    const node = panel.nodes.find(
      (n) => String(n.id) === String(params.node_id) && (type === null || type === 'v2node' || n.type === type),
    );
    if (!node) {
      json(res, 400, { status: 'fail', message: 'Server does not exist', data: null, error: null });
      return null;
    }
    return node;
  }

  function push(node: PanelNode, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): void {
    const traffic: Record<string, [number, number]> = {};
    for (const [uid, v] of Object.entries(body)) {
      if (['token', 'node_id', 'node_type'].includes(uid)) continue;
      if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) traffic[uid] = [v[0], v[1]];
    }
    panel.applied.push({ nodeId: node.id, nodeType: node.type, traffic });
    if (panel.dropResponses > 0) {
      panel.dropResponses--;
      req.socket.destroy();
      return;
    }
    if (panel.stallResponses > 0) {
      panel.stallResponses--;
      return; // closeAllConnections() ends it
    }
    json(res, 200, { status: 'success', message: 'Traffic reported successfully', data: true, error: null });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://panel.invalid');
    const text = await readBody(req);
    const query = Object.fromEntries(url.searchParams);
    panel.requests.push({ method: req.method ?? '', path: url.pathname, query, headers: req.headers, body: text });
    const override = panel.nextAnswer;
    if (override) {
      panel.nextAnswer = null;
      const { status, body: page } = override(req.url ?? '/');
      res.writeHead(status, { 'content-type': 'text/html' }).end(page);
      return;
    }
    if (!url.pathname.startsWith(PREFIX)) return json(res, 404, { message: 'Not Found' });
    const action = url.pathname.slice(PREFIX.length);
    const body = parseObject(text);
    const node = authenticate({ ...(body ?? {}), ...query }, res);
    if (!node) return;
    if (action === 'push' && req.method === 'POST') {
      if (!body) return json(res, 422, { message: 'Invalid data format', errors: { data: ['must be an object'] } });
      return push(node, body, req, res);
    }
    if (action === 'user' && req.method === 'GET') {
      panel.lastCheckAt.set(node.id, Date.now());
      const payload = JSON.stringify({ users: panel.users });
      const etag = etagOf(payload);
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(payload);
      return;
    }
    if (action === 'config' && req.method === 'GET') {
      const payload = JSON.stringify({
        server_port: 443,
        network: 'tcp',
        base_config: { push_interval: 60, pull_interval: 60 },
      });
      const etag = etagOf(payload);
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(payload);
      return;
    }
    json(res, 404, { message: 'Not Found' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => json(res, 500, { message: err.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return Object.assign(panel, {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
