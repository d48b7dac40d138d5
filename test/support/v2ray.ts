/**
 * A real V2Ray (Debian's `v2ray`, 4.34) for tests: a server with per-user stats and the gRPC API, and a client
 * with one http proxy inbound per user, all on 127.0.0.1 free ports, plus a local HTTP server that serves exactly
 * N bytes and a fetch through a user's proxy. Nothing here mocks V2Ray: without the binary, startV2RayPair throws.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ProxyAgent, request } from 'undici';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const INSTALL_HINT = 'install it with `apt-get update && apt-get install -y v2ray` (Debian/Ubuntu), or set V2RAY_BIN';

export interface ProxyEndpoint {
  host: string;
  port: number;
  protocol: 'http';
}

export interface V2RayPair {
  /** host:port of the server's api inbound (StatsService, package v2ray.core.app.stats.command). */
  apiAddress: string;
  /** The users' emails, which are also their counter names' EMAIL part. */
  users: readonly string[];
  /** The client's http proxy inbound whose traffic the server counts for this user. */
  proxyFor(email: string): ProxyEndpoint;
  /** Kills both processes and removes their temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** The V2Ray binary: $V2RAY_BIN, /usr/bin/v2ray, or `v2ray` on PATH. Throws saying how to install it. */
export function v2rayBinary(): string {
  const candidates = [
    process.env['V2RAY_BIN'],
    '/usr/bin/v2ray',
    ...(process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'v2ray')),
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next candidate
    }
  }
  throw new Error(`V2Ray binary not found (looked at $V2RAY_BIN, /usr/bin/v2ray and PATH): ${INSTALL_HINT}`);
}

/** Distinct free ports on 127.0.0.1, all held open until every one is known. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, HOST, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function run(binary: string, configFile: string): Running {
  const child = spawn(binary, ['-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => output };
}

/** Resolves when every port accepts connections; rejects with V2Ray's output if it exits or takes too long. */
async function waitListening(name: string, running: Running, ports: number[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const pending = new Set(ports);
  while (pending.size > 0) {
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      throw new Error(
        `V2Ray ${name} exited (${running.child.exitCode ?? running.child.signalCode}) before listening:\n${running.output()}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `V2Ray ${name} not listening on ${[...pending].join(', ')} after ${READY_TIMEOUT_MS} ms:\n${running.output()}`,
      );
    }
    for (const port of [...pending]) if (await canConnect(port)) pending.delete(port);
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

type Json = Record<string, any>;

function serverConfig(apiPort: number, vmessPort: number, users: { email: string; id: string }[]): Json {
  const config = JSON.parse(readFileSync(new URL('../fixtures/v2ray/server.json', import.meta.url), 'utf8')) as Json;
  const inbound = (tag: string): Json => config['inbounds'].find((entry: Json) => entry['tag'] === tag);
  inbound('api')['port'] = apiPort;
  inbound('vmess-in')['port'] = vmessPort;
  inbound('vmess-in')['settings']['clients'] = users.map(({ email, id }) => ({ id, alterId: 0, email, level: 0 }));
  return config;
}

function clientConfig(vmessPort: number, users: { email: string; id: string; port: number }[]): Json {
  return {
    log: { loglevel: 'warning' },
    inbounds: users.map(({ email, port }) => ({
      tag: `in-${email}`,
      listen: HOST,
      port,
      protocol: 'http',
      settings: {},
    })),
    outbounds: users.map(({ email, id }) => ({
      tag: `out-${email}`,
      protocol: 'vmess',
      settings: { vnext: [{ address: HOST, port: vmessPort, users: [{ id, alterId: 0, security: 'aes-128-gcm' }] }] },
    })),
    routing: {
      rules: users.map(({ email }) => ({ type: 'field', inboundTag: [`in-${email}`], outboundTag: `out-${email}` })),
    },
  };
}

/** Starts the server and the client V2Ray; users default to emails "1" and "2". */
export async function startV2RayPair(opts: { users?: string[] } = {}): Promise<V2RayPair> {
  const binary = v2rayBinary();
  const emails = opts.users ?? ['1', '2'];
  const [apiPort, vmessPort, ...proxyPorts] = (await freePorts(2 + emails.length)) as [number, number, ...number[]];
  const users = emails.map((email, i) => ({ email, id: randomUUID(), port: proxyPorts[i]! }));
  const dir = await mkdtemp(join(tmpdir(), 'v2ray-test-'));
  const processes: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map(kill));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const serverFile = join(dir, 'server.json');
    const clientFile = join(dir, 'client.json');
    await writeFile(serverFile, JSON.stringify(serverConfig(apiPort, vmessPort, users), null, 2));
    await writeFile(clientFile, JSON.stringify(clientConfig(vmessPort, users), null, 2));
    const server = run(binary, serverFile);
    processes.push(server.child);
    const client = run(binary, clientFile);
    processes.push(client.child);
    await waitListening('server', server, [apiPort, vmessPort]);
    await waitListening('client', client, proxyPorts);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    apiAddress: `${HOST}:${apiPort}`,
    users: emails,
    proxyFor(email) {
      const user = users.find((entry) => entry.email === email);
      if (!user) throw new Error(`no V2Ray test user with email ${JSON.stringify(email)} (have ${emails.join(', ')})`);
      return { host: HOST, port: user.port, protocol: 'http' };
    },
    stop,
  };
}

export interface ByteServer {
  /** URL that answers 200 with exactly `bytes` bytes of body. */
  urlFor(bytes: number): string;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 serving GET /bytes/N with exactly N bytes. */
export async function startByteServer(): Promise<ByteServer> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const server = createHttpServer((req, res) => {
    const match = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    let left = Number(match[1]);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(left) });
    const pump = () => {
      while (left > 0) {
        const part = chunk.subarray(0, Math.min(left, chunk.length));
        left -= part.length;
        if (!res.write(part)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urlFor: (bytes) => `http://${HOST}:${port}/bytes/${bytes}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** GETs `url` through a user's proxy and returns the number of body bytes received. */
export async function fetchThroughProxy(url: string, proxy: ProxyEndpoint): Promise<number> {
  const dispatcher = new ProxyAgent({ uri: `${proxy.protocol}://${proxy.host}:${proxy.port}` });
  try {
    const response = await request(url, { dispatcher });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`GET ${url} through ${proxy.host}:${proxy.port}: HTTP ${response.statusCode}`);
    }
    let received = 0;
    for await (const part of response.body) received += (part as Buffer).length;
    return received;
  } finally {
    await dispatcher.close();
  }
}
