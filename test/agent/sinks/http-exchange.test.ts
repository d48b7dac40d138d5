/**
 * The agent's HTTP/1.1 exchange (http-exchange.ts over http-connections.ts) against raw TCP servers on 127.0.0.1 that
 * answer with exactly the bytes each case needs: the answer framings a receiver may use (Content-Length, chunked,
 * closed connection, an interim 1xx first), keep-alive reuse and its limits, and hostile or broken answers, each of
 * which must end in a clear failure that says whether the request went out, never a hang or an unbounded read.
 * And a TLS receiver: refused when its certificate is not trusted, used when it is.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HttpConnections } from '../../../src/agent/sinks/http-connections.js';
import {
  HttpExchangeError,
  MAX_ANSWER_BYTES,
  httpExchange,
  requestBytes,
} from '../../../src/agent/sinks/http-exchange.js';

interface RawServer {
  url: URL;
  /** Every connection accepted, and the request text each has received so far. */
  sockets: Socket[];
  received: string[];
  close(): Promise<void>;
}

/** A TCP server that calls `answer` once a whole request (head + Content-Length body) has arrived on a connection. */
async function rawServer(answer: (s: Socket, request: string, n: number) => void): Promise<RawServer> {
  const sockets: Socket[] = [];
  const received: string[] = [];
  let n = 0;
  const server: Server = createServer((s) => {
    const i = sockets.push(s) - 1;
    received[i] = '';
    s.on('error', () => undefined);
    let pending = '';
    s.on('data', (d) => {
      received[i] += d.toString('latin1');
      pending += d.toString('latin1');
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
        if (pending.length < end + 4 + len) return;
        const request = pending.slice(0, end + 4 + len);
        pending = pending.slice(end + 4 + len);
        answer(s, request, n++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: new URL(`http://127.0.0.1:${port}/api/v1/agent/heartbeat?x=1`),
    sockets,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function serve(answer: (s: Socket, request: string, n: number) => void): Promise<RawServer> {
  const srv = await rawServer(answer);
  open.push(srv);
  return srv;
}

function pool(url: URL, keepAliveMs = 60_000): HttpConnections {
  const c = new HttpConnections(url, keepAliveMs);
  open.push({ close: async () => c.destroy() });
  return c;
}

const post = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
const exchange = (c: HttpConnections, url: URL, timeoutMs = 2000) => httpExchange(c, url, { ...post, timeoutMs });
const ok = (body: string, extra = '') =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

async function failure(p: Promise<unknown>): Promise<HttpExchangeError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpExchangeError);
  return err as HttpExchangeError;
}

describe('the request', () => {
  it('is HTTP/1.1 with Host, keep-alive, the headers and a Content-Length body', async () => {
    const srv = await serve((s) => s.write(ok('{"ok":true}')));
    const c = pool(srv.url);
    const a = await exchange(c, srv.url);
    expect(a).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'content-length': '11' },
      text: '{"ok":true}',
    });
    expect(srv.received[0]).toBe(
      `POST /api/v1/agent/heartbeat?x=1 HTTP/1.1\r\nHost: ${srv.url.host}\r\nConnection: keep-alive\r\n` +
        'content-type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}',
    );
  });

  it('a header that would break the framing (CR, LF) is refused and nothing is sent', async () => {
    const srv = await serve((s) => s.write(ok('{}')));
    const c = pool(srv.url);
    const err = await failure(
      httpExchange(c, srv.url, { method: 'GET', headers: { authorization: 'Bearer x\r\nX-Evil: 1' }, timeoutMs: 500 }),
    );
    expect(err.requestSent).toBe(false);
    expect(err.message).toContain('invalid HTTP header');
    expect(srv.sockets).toHaveLength(0);
    expect(() => requestBytes(srv.url, { method: 'GET', headers: { 'bad name': 'v' } })).toThrow(/invalid HTTP header/);
  });

  it('credentials in the URL become Basic authorization, unless one is given', () => {
    const url = new URL('http://us%40er:p%3Ass@127.0.0.1:1/x');
    expect(requestBytes(url, { method: 'GET', headers: {} })).toContain(
      `Authorization: Basic ${Buffer.from('us@er:p:ss').toString('base64')}\r\n`,
    );
    expect(requestBytes(url, { method: 'GET', headers: { authorization: 'Bearer t' } })).not.toContain('Basic');
  });
});

describe('answers as receivers frame them', () => {
  it('chunked, split across writes at every byte', async () => {
    const wire =
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\n{"ack\r\n6\r\ned":1}\r\n0\r\ntrailer: x\r\n\r\n';
    const srv = await serve((s) => {
      let i = 0;
      const next = () => {
        if (i < wire.length) s.write(wire[i++], () => setImmediate(next));
      };
      s.setNoDelay(true);
      next();
    });
    const a = await exchange(pool(srv.url), srv.url, 5000);
    expect(a.statusCode).toBe(200);
    expect(a.text).toBe('{"acked":1}');
  });

  it('a body ended by the connection closing', async () => {
    const srv = await serve((s) => s.end('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{"until":"close"}'));
    const c = pool(srv.url);
    expect((await exchange(c, srv.url)).text).toBe('{"until":"close"}');
    expect((await exchange(c, srv.url)).text).toBe('{"until":"close"}'); // a new connection
    expect(srv.sockets).toHaveLength(2);
  });

  it('an interim 100/103 answer before the real one', async () => {
    const srv = await serve((s) => s.write(`HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n${ok('{"real":1}')}`));
    const a = await exchange(pool(srv.url), srv.url);
    expect(a).toMatchObject({ statusCode: 200, text: '{"real":1}' });
  });

  it('an error status with its body is an answer, not a failure', async () => {
    const body = '{"code":"TC_RECORD_CONFLICT"}';
    const srv = await serve((s) => s.write(`HTTP/1.1 409 Conflict\r\ncontent-length: ${body.length}\r\n\r\n${body}`));
    expect(await exchange(pool(srv.url), srv.url)).toMatchObject({
      statusCode: 409,
      text: '{"code":"TC_RECORD_CONFLICT"}',
    });
  });
});

describe('keep-alive', () => {
  it('one connection for requests one after the other', async () => {
    const srv = await serve((s, _r, n) => s.write(ok(`{"n":${n}}`)));
    const c = pool(srv.url);
    for (let i = 0; i < 5; i++) expect((await exchange(c, srv.url)).text).toBe(`{"n":${i}}`);
    expect(srv.sockets).toHaveLength(1);
  });

  it('a connection the receiver closed while idle is not used again', async () => {
    const srv = await serve((s) => s.end(ok('{}', 'connection: keep-alive\r\n')));
    const c = pool(srv.url);
    await exchange(c, srv.url);
    await new Promise((r) => setTimeout(r, 50)); // its FIN arrives while the connection is idle
    await exchange(c, srv.url);
    expect(srv.sockets).toHaveLength(2);
  });

  it("kept no longer than the receiver's Keep-Alive timeout minus a second, nor keepAliveMs", async () => {
    const srv = await serve((s) => s.write(ok('{}', 'keep-alive: timeout=1\r\n')));
    const c = pool(srv.url);
    await exchange(c, srv.url);
    await exchange(c, srv.url); // timeout=1: kept 0 s, so never reused
    expect(srv.sockets).toHaveLength(2);
    const srv2 = await serve((s) => s.write(ok('{}')));
    const c2 = pool(srv2.url, 100);
    await exchange(c2, srv2.url);
    await new Promise((r) => setTimeout(r, 300));
    await exchange(c2, srv2.url);
    expect(srv2.sockets).toHaveLength(2);
    expect(srv2.sockets[0].destroyed || srv2.sockets[0].readableEnded).toBe(true);
  });

  it('asked once a tick: a connection that would be closed before the next tick is closed after its answer', async () => {
    const srv = await serve((s) => s.write(ok('{}', 'keep-alive: timeout=5\r\n')));
    const rare = new HttpConnections(srv.url, 60_000, 60_000); // the receiver keeps it 5 s, the next tick is in 60 s
    open.push({ close: async () => rare.destroy() });
    await exchange(rare, srv.url);
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.sockets[0].readableEnded || srv.sockets[0].destroyed).toBe(true);
    const often = new HttpConnections(srv.url, 60_000, 1_000); // the next tick is in 1 s: kept
    open.push({ close: async () => often.destroy() });
    await exchange(often, srv.url);
    await exchange(often, srv.url);
    expect(srv.sockets).toHaveLength(2);
  });

  it('bytes after the answer: the answer stands, the connection is dropped', async () => {
    const srv = await serve((s) => s.write(`${ok('{}')}HTTP/1.1 200 OK\r\n`));
    const c = pool(srv.url);
    expect((await exchange(c, srv.url)).text).toBe('{}');
    await exchange(c, srv.url);
    expect(srv.sockets).toHaveLength(2);
  });

  it('bytes after the answer that are not HTTP at all: the answer still stands', async () => {
    const srv = await serve((s) => s.write(`${ok('{"acked":[1]}')}SSH-2.0-OpenSSH\r\n\r\n`));
    const c = pool(srv.url);
    expect((await exchange(c, srv.url)).text).toBe('{"acked":[1]}');
    await exchange(c, srv.url);
    expect(srv.sockets).toHaveLength(2);
  });
});

describe('broken and hostile answers', () => {
  const cases: [string, string, RegExp][] = [
    ['a status line that is not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', /not valid HTTP \(HPE_INVALID_CONSTANT\)/],
    ['a negative content-length', 'HTTP/1.1 200 OK\r\ncontent-length: -5\r\n\r\nabc', /content-length/],
    ['a content-length that is not a number', 'HTTP/1.1 200 OK\r\ncontent-length: 1e3\r\n\r\n', /content-length/],
    [
      'two different content-lengths',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}',
      /not valid HTTP \(HPE_UNEXPECTED_CONTENT_LENGTH\)/,
    ],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n-5\r\nabc\r\n', /./],
    [
      'a claimed size over the cap',
      `HTTP/1.1 200 OK\r\ncontent-length: ${MAX_ANSWER_BYTES + 1}\r\n\r\n`,
      /larger than 1048576 bytes \(content-length/,
    ],
  ];
  for (const [what, wire, message] of cases) {
    it(`${what}: a failure after the request went out, the connection dropped`, async () => {
      const srv = await serve((s) => s.write(wire));
      const err = await failure(exchange(pool(srv.url), srv.url));
      expect(err.requestSent).toBe(true);
      expect(err.message).toMatch(message);
      await new Promise((r) => setTimeout(r, 50));
      expect(srv.sockets[0].readableEnded || srv.sockets[0].destroyed).toBe(true);
    });
  }

  it('a chunked body that grows past the cap is abandoned, not read whole', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let wrote = 0;
    const srv = await serve((s) => {
      s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      const more = () => {
        while (!s.destroyed && wrote < 8 * MAX_ANSWER_BYTES) {
          wrote += chunk.length;
          if (!s.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) return void s.once('drain', more);
        }
      };
      more();
    });
    const err = await failure(exchange(pool(srv.url), srv.url, 10_000));
    expect(err.message).toMatch(/larger than 1048576 bytes \(more was sent\)/);
    expect(wrote).toBeLessThan(8 * MAX_ANSWER_BYTES);
  });

  it('a head without end is cut at 64 KiB', async () => {
    const srv = await serve((s) => {
      s.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 200; i++) s.write(`x-filler-${i}: ${'y'.repeat(1000)}\r\n`);
    });
    const err = await failure(exchange(pool(srv.url), srv.url));
    expect(err).toMatchObject({ code: 'ANSWER_TOO_LARGE', requestSent: true });
    expect(err.message).toMatch(/head is larger than 65536 bytes/);
  });

  it('no answer at all: the deadline ends it, after the request went out', async () => {
    const srv = await serve(() => undefined);
    const t0 = Date.now();
    const err = await failure(exchange(pool(srv.url), srv.url, 300));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err).toMatchObject({ requestSent: true, code: 'DEADLINE' });
  });

  it('the connection closed half way through the answer', async () => {
    const srv = await serve((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{"a"'));
    const err = await failure(exchange(pool(srv.url), srv.url));
    expect(err).toMatchObject({ requestSent: true });
    expect(err.message).toContain('closed before the whole answer came');
  });

  it('a refused connection: not sent', async () => {
    const srv = await serve(() => undefined);
    const url = srv.url;
    await srv.close();
    open.length = 0;
    const err = await failure(exchange(pool(url), url));
    expect(err).toMatchObject({ requestSent: false, code: 'ECONNREFUSED' });
  });

  it('destroy() ends a request in flight at once', async () => {
    const srv = await serve(() => undefined);
    const c = pool(srv.url);
    const p = failure(exchange(c, srv.url, 5000));
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    c.destroy();
    const err = await p;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err.requestSent).toBe(true);
    await expect(exchange(c, srv.url)).rejects.toThrow(/closed/);
  });
});

describe('https', () => {
  const dir = mkdtempSync(join(tmpdir(), 'http-exchange-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );

  async function tlsServer(): Promise<URL> {
    const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (s) => {
      s.on('error', () => undefined);
      s.on('data', () => s.write(ok('{"tls":true}')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
    return new URL(`https://localhost:${(server.address() as { port: number }).port}/x`);
  }

  it('a certificate nobody trusts: refused before anything is sent', async () => {
    const url = await tlsServer();
    const err = await failure(exchange(pool(url), url));
    expect(err.requestSent).toBe(false);
    expect(err.code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });

  it('a trusted certificate (NODE_EXTRA_CA_CERTS, as an operator would add a private CA): the answer comes back', async () => {
    const url = await tlsServer();
    const root = resolve(import.meta.dirname, '../../..');
    // a CA is read at start-up only, so the exchange runs in a child process with it
    const script = `
      const { HttpConnections } = await import(${JSON.stringify(join(root, 'src/agent/sinks/http-connections.ts'))});
      const { httpExchange } = await import(${JSON.stringify(join(root, 'src/agent/sinks/http-exchange.ts'))});
      const url = new URL(${JSON.stringify(url.href)});
      const c = new HttpConnections(url, 1000);
      const a = await httpExchange(c, url, { method: 'GET', headers: {}, timeoutMs: 3000 });
      c.destroy();
      console.log(JSON.stringify(a));`;
    // not spawnSync: the server answers from this process's event loop
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ statusCode: 200, text: '{"tls":true}' });
  });
});
