/**
 * A webhook receiver on 127.0.0.1 for alert tests. Each request is recorded (headers, raw body, whether its
 * signature verifies) and answered by the current plan: 'ok' (200), 'fail' (503), 'drop' (the request is read in
 * full, then the socket is destroyed with no answer: the sender cannot know it arrived), 'hold' (read, never answered:
 * the sender's timeout ends it) or, by refuse(), no listener at all (connections refused). `unique` dedups by Idempotency-Key, as a real receiver would.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer = 'ok' | 'fail' | 'drop' | 'hold';
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  key: string;
  signatureOk: boolean | null;
  answered: Answer;
}

export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const want = createHmac('sha256', secret).update(body, 'utf8').digest();
  const got = Buffer.from(header.slice(7), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Answer of each next request, taken from the front; then `fallback`. */
  plan: Answer[] = [];
  fallback: Answer = 'ok';
  /** Decides an answer per request when set (after `plan`). */
  chooser?: (n: number) => Answer;
  /** Called with each recorded request, after its answer was decided (e.g. to kill the sender mid-request). */
  onRequest?: (r: Received) => void;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly secret?: string) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = this.plan.shift() ?? this.chooser?.(this.received.length) ?? this.fallback;
        const sig = req.headers['x-traffic-signature'];
        this.received.push({
          path: req.url ?? '',
          headers: req.headers,
          body,
          key: String(req.headers['idempotency-key'] ?? ''),
          signatureOk: this.secret
            ? verifySignature(this.secret, body, typeof sig === 'string' ? sig : undefined)
            : null,
          answered: answer,
        });
        this.onRequest?.(this.received[this.received.length - 1]);
        if (answer === 'drop') {
          req.socket.destroy();
          return;
        }
        if (answer === 'hold') return;
        res.writeHead(answer === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening: connections are refused until start(sameport) again. */
  async refuse(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests answered 'ok' or not, deduplicated by Idempotency-Key (first arrival kept). */
  unique(): Received[] {
    const seen = new Map<string, Received>();
    for (const r of this.received) if (!seen.has(r.key)) seen.set(r.key, r);
    return [...seen.values()];
  }

  async stop(): Promise<void> {
    await this.refuse();
  }
}
