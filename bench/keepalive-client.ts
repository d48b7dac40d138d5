/**
 * The collector benches' HTTP client: one keep-alive HTTP/1.1 connection per caller-given request source, each
 * sending its next request when the previous answer is in (as an agent does), for a fixed time. It costs the machine
 * little per request (a write and a read per request, no per-request objects beyond the request text), so on a small
 * machine the servers under test get most of the CPU; the benches still print its CPU share.
 *
 * It reads only what it needs from an answer: the status code, Content-Length (every answer of fastify carries one;
 * chunked answers are refused as an error) and the body. Latencies are kept per request for the percentiles.
 */
import { connect, type Socket } from 'node:net';

export interface KeepAliveRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface ConnectionPlan {
  /** http://host:port of the server this connection talks to. */
  address: string;
  /** The next request on this connection (called once per request, after the previous answer). */
  next(): KeepAliveRequest;
  /** Called with every answer. */
  onResponse?(status: number, body: string): void;
}

export interface KeepAliveResult {
  /** Answers by status class. */
  ok: number;
  non2xx: number;
  errors: number;
  /** Latency percentiles over every answer, ms. */
  p50: number;
  p99: number;
}

const CRLF2 = Buffer.from('\r\n\r\n');

function requestText(r: KeepAliveRequest, host: string): string {
  let h = `POST ${r.path} HTTP/1.1\r\nhost: ${host}\r\nconnection: keep-alive\r\ncontent-length: ${Buffer.byteLength(r.body)}\r\n`;
  for (const k in r.headers) h += `${k}: ${r.headers[k]}\r\n`;
  return `${h}\r\n${r.body}`;
}

/** Runs every connection for `seconds`; resolves once all have their last answer in. */
export function runKeepAlive(plans: ConnectionPlan[], seconds: number): Promise<KeepAliveResult> {
  const latencies: number[] = [];
  const out = { ok: 0, non2xx: 0, errors: 0 };
  const endAt = performance.now() + seconds * 1000;
  const one = (plan: ConnectionPlan) =>
    new Promise<void>((resolve) => {
      const url = new URL(plan.address);
      const sock: Socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
      let buf: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        sock.destroy();
        resolve();
      };
      const send = () => {
        if (performance.now() >= endAt) return finish();
        sentAt = performance.now();
        sock.write(requestText(plan.next(), url.host));
      };
      sock.on('connect', send);
      sock.on('error', () => {
        out.errors++;
        finish();
      });
      sock.on('close', finish);
      sock.on('data', (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        const headEnd = buf.indexOf(CRLF2);
        if (headEnd < 0) return;
        const head = buf.toString('latin1', 0, headEnd);
        const m = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (!m) {
          out.errors++; // no length: this client cannot find the answer's end
          return finish();
        }
        const total = headEnd + 4 + Number(m[1]);
        if (buf.length < total) return;
        const status = Number(head.slice(9, 12));
        latencies.push(performance.now() - sentAt);
        if (status >= 200 && status < 300) out.ok++;
        else out.non2xx++;
        plan.onResponse?.(status, buf.toString('utf8', headEnd + 4, total));
        buf = buf.subarray(total);
        send();
      });
    });
  return Promise.all(plans.map(one)).then(() => {
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : 0;
    return { ...out, p50: at(0.5), p99: at(0.99) };
  });
}
