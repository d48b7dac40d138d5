/**
 * A real collector stand-in for the agent tests: an HTTP server on 127.0.0.1 (free port) implementing
 * POST /api/v1/agent/heartbeat as src/protocol/heartbeat.ts states it. It checks the bearer token and the body
 * against the contract, stores each (epoch, seq) once, acknowledges every seq of the request it holds, and keeps the
 * sums of the distinct records, which is what a test compares with the ground truth.
 *
 * Failure modes a test can switch on: 'drop' (read the whole request, store it, then destroy the socket without an
 * answer: the agent cannot know it arrived), 'error' (answer 500 without storing), 'refuse' (stop listening: the
 * connection is refused; the same port is taken again on the way back), 'stall' (read the request, store nothing, never
 * answer: the agent's timeout decides), 'partial' (store and acknowledge only the first record of each request, as a
 * collector may: the protocol says the agent moves on only over what `acked` lists), or a per-request decision via
 * `decide`.
 * Hostile modes, nothing stored: 'trickle' (200 headers, then one byte per second: only an overall deadline ends it),
 * 'huge' (200 claiming HUGE_ANSWER_BYTES and sending them as fast as the agent reads), 'conflict' (409
 * TC_RECORD_CONFLICT, as the collector answers a seq it holds with other contents).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import {
  HEARTBEAT_PATH,
  HeartbeatRequest,
  type HeartbeatResponse,
  type TrafficRecord,
} from '../../src/protocol/heartbeat.js';

export type ServerMode = 'ok' | 'drop' | 'error' | 'refuse' | 'stall' | 'partial' | 'trickle' | 'huge' | 'conflict';

/** What a 'huge' answer claims (and sends, while the agent reads). */
export const HUGE_ANSWER_BYTES = 300 * 1024 * 1024;

export interface HeartbeatServerCounters {
  /** TCP connections accepted. */
  connections: number;
  requests: number;
  /** Requests whose records were stored and acknowledged in the answer. */
  answered: number;
  /** Requests that were read (and their records stored) but whose answer was dropped. */
  dropped: number;
  /** Requests answered 500 without storing anything. */
  errors: number;
  /** Requests left without an answer, nothing stored. */
  stalled: number;
  /** Requests refused for a bad or missing token (401). */
  unauthorized: number;
  /** Requests refused for a body that breaks the contract (400). */
  invalid: number;
  /** Records received again after they were stored. */
  duplicates: number;
  /** Same (epoch, seq) received with different contents: a broken agent promise. */
  conflicts: number;
  /** Requests given a hostile answer ('trickle', 'huge', 'conflict'), nothing stored. */
  hostile: number;
  /** Bytes of 'huge' answers written to the socket. */
  hugeBytesSent: number;
}

export interface HeartbeatServer {
  readonly url: string;
  readonly port: number;
  mode: ServerMode;
  /** Per request decision (overrides `mode` when set and returns a mode other than undefined). */
  decide: ((n: number) => Exclude<ServerMode, 'refuse'> | undefined) | null;
  readonly counters: HeartbeatServerCounters;
  /** Distinct records by `${epoch}:${seq}`. */
  readonly records: ReadonlyMap<string, TrafficRecord>;
  /** The last request bodies, as received (load, uptime, bootId...). */
  readonly bodies: HeartbeatRequest[];
  /** For each 'trickle' or 'huge' answer, ms from its headers to the agent closing the connection. */
  readonly hostileDurations: number[];
  /** When each authenticated heartbeat request arrived (ms since the epoch; the last 1,000). */
  readonly requestTimes: number[];
  /** Sum over distinct records. */
  sums(): { rx: bigint; tx: bigint; records: number };
  setMode(mode: ServerMode): Promise<void>;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

function sameRecord(a: TrafficRecord, b: TrafficRecord): boolean {
  return (
    a.from === b.from &&
    a.to === b.to &&
    a.rx === b.rx &&
    a.tx === b.tx &&
    JSON.stringify(a.events ?? []) === JSON.stringify(b.events ?? [])
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startHeartbeatServer(opts: {
  token: string;
  nodeId?: number;
  port?: number;
  /** How long an idle connection is kept (node:http's keepAliveTimeout; default Node's 5 s). */
  keepAliveTimeoutMs?: number;
}): Promise<HeartbeatServer> {
  const records = new Map<string, TrafficRecord>();
  const bodies: HeartbeatRequest[] = [];
  const requestTimes: number[] = [];
  const counters: HeartbeatServerCounters = {
    connections: 0,
    requests: 0,
    answered: 0,
    dropped: 0,
    errors: 0,
    stalled: 0,
    unauthorized: 0,
    invalid: 0,
    duplicates: 0,
    conflicts: 0,
    hostile: 0,
    hugeBytesSent: 0,
  };
  const hostileDurations: number[] = [];
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = opts.port ?? 0;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const text = await readBody(req);
    if (req.method !== 'POST' || req.url !== HEARTBEAT_PATH)
      return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
    counters.requests++;
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      counters.unauthorized++;
      return json(res, 401, { error: { code: 'UNAUTHORIZED', message: 'bad token' } });
    }
    requestTimes.push(Date.now());
    if (requestTimes.length > 1000) requestTimes.shift();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      counters.invalid++;
      return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'not JSON' } });
    }
    if (!Value.Check(HeartbeatRequest, body)) {
      counters.invalid++;
      const first = Value.Errors(HeartbeatRequest, body).First();
      return json(res, 400, { error: { code: 'BAD_REQUEST', message: `${first?.path}: ${first?.message}` } });
    }
    const seqs = body.records.map((r) => r.seq);
    if (seqs.some((s, i) => i > 0 && s <= seqs[i - 1])) {
      counters.invalid++;
      return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'records not in ascending seq order' } });
    }
    const mode = hb.decide?.(counters.requests) ?? hb.mode;
    if (mode === 'error') {
      counters.errors++;
      return json(res, 500, { error: { code: 'INTERNAL', message: 'told to fail' } });
    }
    if (mode === 'stall') {
      counters.stalled++;
      return;
    }
    if (mode === 'trickle' || mode === 'huge' || mode === 'conflict') {
      counters.hostile++;
      return hostileAnswer(mode, body, res);
    }
    bodies.push(body);
    if (bodies.length > 50) bodies.shift();
    let duplicates = 0;
    const taken = mode === 'partial' ? body.records.slice(0, 1) : body.records;
    for (const r of taken) {
      const key = `${body.epoch}:${r.seq}`;
      const had = records.get(key);
      if (had) {
        duplicates++;
        if (!sameRecord(had, r)) counters.conflicts++;
      } else {
        records.set(key, r);
      }
    }
    counters.duplicates += duplicates;
    if (mode === 'drop') {
      counters.dropped++;
      req.socket.destroy();
      return;
    }
    counters.answered++;
    const answer: HeartbeatResponse = {
      nodeId: opts.nodeId ?? 1,
      epoch: body.epoch,
      acked: taken.map((r) => r.seq),
      duplicates,
      serverTime: Date.now(),
    };
    json(res, 200, answer);
  };

  const hostileAnswer = (mode: 'trickle' | 'huge' | 'conflict', body: HeartbeatRequest, res: ServerResponse) => {
    if (mode === 'conflict') {
      const seqs = body.records.map((r) => r.seq).join(',');
      return json(res, 409, {
        error: { code: 'TC_RECORD_CONFLICT', message: `epoch ${body.epoch} seq ${seqs} is stored with other contents` },
      });
    }
    const started = Date.now();
    const length = mode === 'huge' ? HUGE_ANSWER_BYTES : 1_000_000;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
    res.flushHeaders();
    let timer: NodeJS.Timeout | null = null;
    res.socket?.once('close', () => {
      if (timer) clearInterval(timer);
      hostileDurations.push(Date.now() - started);
    });
    if (mode === 'trickle') {
      timer = setInterval(() => res.write(' '), 1000);
      return;
    }
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < length && !res.destroyed) {
        sent += chunk.length;
        counters.hugeBytesSent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((req, res) => {
        handle(req, res).catch(() => res.destroy());
      });
      if (opts.keepAliveTimeoutMs !== undefined) s.keepAliveTimeout = opts.keepAliveTimeoutMs;
      s.on('connection', (sock) => {
        counters.connections++;
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
      });
      s.once('error', reject);
      s.listen(port, HOST, () => {
        port = (s.address() as AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stop = async () => {
    const s = server;
    server = null;
    if (!s) return;
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();

  const hb: HeartbeatServer = {
    get url() {
      return `http://${HOST}:${port}`;
    },
    get port() {
      return port;
    },
    mode: 'ok',
    decide: null,
    counters,
    records,
    bodies,
    hostileDurations,
    requestTimes,
    sums() {
      let rx = 0n;
      let tx = 0n;
      for (const r of records.values()) {
        rx += BigInt(r.rx);
        tx += BigInt(r.tx);
      }
      return { rx, tx, records: records.size };
    },
    async setMode(mode: ServerMode) {
      if (mode === 'refuse' && server) await stop();
      if (mode !== 'refuse' && !server) await listen();
      hb.mode = mode;
    },
    async close() {
      await stop();
    },
  };
  return hb;
}
