/**
 * An HTTP fault proxy on 127.0.0.1 between agents and one or more collectors. Every request is read in full, then a
 * seeded roll decides what happens to it:
 * - 'refuse': the connection is reset and the proxy stops listening for a while (new connections are refused);
 * - 'delay':  the request is held for a while, then forwarded;
 * - 'cut':    the connection is closed after the request was read; the collector never sees it;
 * - 'drop':   the request is forwarded and answered by the collector, then the answer is thrown away and the
 *             connection closed: the agent cannot know that its records were stored (the resend must be a duplicate);
 * - 'twice':  forwarded to two upstreams at once (the same one twice when there is one), as a load balancer that
 *             retries a slow request races the original; the first answer goes back, the other is read and counted;
 * - 'pass':   forwarded as it is.
 * Upstreams are taken in turn (two collectors alternate); one that cannot be reached is skipped for the next one,
 * as a load balancer would. Heartbeat answers that pass through (dropped or not) are read for `duplicates`.
 */
import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';

export type Fault = 'pass' | 'refuse' | 'delay' | 'cut' | 'drop' | 'twice';

export interface FaultRates {
  refuse: number;
  delay: number;
  cut: number;
  drop: number;
  twice: number;
}

export interface FaultProxyOptions {
  upstreams: string[];
  /** [0,1) source for the rolls; pass a seeded one. */
  random: () => number;
  rates?: Partial<FaultRates>;
  delayMs?: [number, number];
  refuseMs?: [number, number];
  port?: number;
}

export interface FaultCounts {
  requests: number;
  passed: number;
  refused: number;
  delayed: number;
  cut: number;
  dropped: number;
  /** Requests sent to two upstreams at once. */
  doubled: number;
  /** Requests no upstream could take (answered 502). */
  upstreamDown: number;
  /** Requests that went to the next upstream because the first could not be reached. */
  failovers: number;
  /** Sum of `duplicates` over every heartbeat answer the collectors gave (including dropped ones). */
  duplicates: number;
  /** Heartbeat answers read from the collectors. */
  heartbeatAnswers: number;
}

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  readonly counts: FaultCounts;
  /** Faults on (with the configured rates) or off (everything passes). */
  enabled: boolean;
  /** Forces the fate of the next request (or of the next one whose path starts with `pathPrefix`). */
  forceNext(fault: Fault, pathPrefix?: string): void;
  setUpstreams(urls: string[]): void;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const DEFAULT_RATES: FaultRates = { refuse: 0.03, delay: 0.08, cut: 0.06, drop: 0.08, twice: 0.04 };

interface UpstreamAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const rates: FaultRates = { ...DEFAULT_RATES, ...opts.rates };
  const delayMs = opts.delayMs ?? [50, 600];
  const refuseMs = opts.refuseMs ?? [200, 1200];
  const counts: FaultCounts = {
    requests: 0,
    passed: 0,
    refused: 0,
    delayed: 0,
    cut: 0,
    dropped: 0,
    doubled: 0,
    upstreamDown: 0,
    failovers: 0,
    duplicates: 0,
    heartbeatAnswers: 0,
  };
  const sockets = new Set<Socket>();
  const upstreamAgent = new Agent({ keepAlive: true, maxSockets: 64 });
  let upstreams = [...opts.upstreams];
  let turn = 0;
  let forced: Array<{ fault: Fault; pathPrefix: string }> = [];
  let server: Server | null = null;
  let port = opts.port ?? 0;
  let closed = false;
  let reopenTimer: NodeJS.Timeout | null = null;
  const between = ([a, b]: [number, number]) => a + Math.floor(opts.random() * (b - a + 1));

  /** The first forced fate that applies to this request, taken off the list; null when none does. */
  const takeForced = (url: string): { fault: Fault; pathPrefix: string } | null => {
    const i = forced.findIndex((f) => url.startsWith(f.pathPrefix));
    return i < 0 ? null : forced.splice(i, 1)[0];
  };

  const roll = (url: string): { fault: Fault; forced: { fault: Fault; pathPrefix: string } | null } => {
    const f = takeForced(url);
    return f ? { fault: f.fault, forced: f } : { fault: rollFree(), forced: null };
  };

  const rollFree = (): Fault => {
    if (!proxy.enabled) return 'pass';
    let r = opts.random();
    for (const fault of ['refuse', 'delay', 'cut', 'drop', 'twice'] as const) {
      if (r < rates[fault]) return fault;
      r -= rates[fault];
    }
    return 'pass';
  };

  const forwardTo = (base: string, req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer> =>
    new Promise((resolve, reject) => {
      const target = new URL(req.url ?? '/', base);
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      delete headers.connection;
      const up = httpRequest(target, { method: req.method, headers, agent: upstreamAgent, timeout: 30_000 }, (res) => {
        readAll(res).then((b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }), reject);
      });
      up.on('timeout', () => up.destroy(new Error('upstream timeout')));
      up.on('error', reject);
      up.end(body);
    });

  /** Tries each upstream once, starting with the next in turn. */
  const forward = async (req: IncomingMessage, body: Buffer): Promise<UpstreamAnswer | null> => {
    const n = upstreams.length;
    const first = turn++ % Math.max(1, n);
    for (let i = 0; i < n; i++) {
      try {
        return await forwardTo(upstreams[(first + i) % n], req, body);
      } catch {
        if (i + 1 < n) counts.failovers++;
      }
    }
    return null;
  };

  const noteAnswer = (req: IncomingMessage, ans: UpstreamAnswer) => {
    if (ans.status !== 200 || !(req.url ?? '').startsWith(HEARTBEAT_PATH)) return;
    try {
      const parsed = JSON.parse(ans.body.toString('utf8')) as { duplicates?: unknown };
      if (typeof parsed.duplicates === 'number') {
        counts.duplicates += parsed.duplicates;
        counts.heartbeatAnswers++;
      }
    } catch {
      /* not JSON: the agent will say so */
    }
  };

  const refuseFor = (ms: number) => {
    const s = server;
    server = null;
    for (const sock of sockets) sock.destroy();
    if (!s) return;
    s.close();
    reopenTimer = setTimeout(() => {
      reopenTimer = null;
      if (!closed) listen().catch(() => refuseFor(100));
    }, ms);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readAll(req);
    counts.requests++;
    const { fault, forced: forcedNow } = roll(req.url ?? '/');
    if (fault === 'refuse') {
      counts.refused++;
      refuseFor(between(refuseMs));
      return;
    }
    if (fault === 'cut') {
      counts.cut++;
      req.socket.destroy();
      return;
    }
    if (fault === 'delay') {
      counts.delayed++;
      await new Promise((r) => setTimeout(r, between(delayMs)));
    }
    let ans: UpstreamAnswer | null;
    if (fault === 'twice') {
      counts.doubled++;
      const n = upstreams.length;
      const second = n > 1 ? upstreams[(turn + 1) % n] : upstreams[0];
      const other = forwardTo(second, req, body).then(
        (a) => noteAnswer(req, a),
        () => undefined,
      );
      ans = await forward(req, body);
      await other;
    } else {
      ans = await forward(req, body);
    }
    if (!ans) {
      counts.upstreamDown++;
      // A forced drop needs an answer to throw away: it stays forced for the next request an upstream answers.
      if (fault === 'drop' && forcedNow) forced.unshift(forcedNow);
      const text = JSON.stringify({ error: { code: 'PROXY_UPSTREAM_DOWN', message: 'no collector answered' } });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    noteAnswer(req, ans);
    if (fault === 'drop') {
      counts.dropped++;
      req.socket.destroy();
      return;
    }
    if (fault === 'pass') counts.passed++;
    const headers = { ...ans.headers, 'content-length': String(ans.body.length) };
    delete headers['transfer-encoding'];
    delete headers.connection;
    res.writeHead(ans.status, headers);
    res.end(ans.body);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((req, res) => {
        handle(req, res).catch(() => res.destroy());
      });
      s.keepAliveTimeout = 30_000;
      s.on('connection', (sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        if (server !== s) sock.destroy();
      });
      s.once('error', reject);
      s.listen(port, HOST, () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });

  await listen();

  const proxy: FaultProxy = {
    get url() {
      return `http://${HOST}:${port}`;
    },
    get port() {
      return port;
    },
    counts,
    enabled: true,
    forceNext(fault, pathPrefix = '') {
      forced.push({ fault, pathPrefix });
    },
    setUpstreams(urls) {
      upstreams = [...urls];
    },
    async close() {
      closed = true;
      forced = [];
      if (reopenTimer) clearTimeout(reopenTimer);
      const s = server;
      server = null;
      for (const sock of sockets) sock.destroy();
      if (s) await new Promise<void>((r) => s.close(() => r()));
      upstreamAgent.destroy();
    },
  };
  return proxy;
}
