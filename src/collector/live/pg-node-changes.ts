/**
 * Node changes between collector processes on one PostgreSQL database: LISTEN/NOTIFY on a connection of its own
 * (not one of the store's pool, so neither waits for the other). A collector publishes locally at once and sends
 * `<instance> <id>,<id>,…` on the channel, batched over a few milliseconds (at most one NOTIFY per batch whatever the
 * heartbeat rate); every collector hears the channel and passes on what other instances sent. While the connection is
 * down, local changes still reach local streams; once it is back the streams are told to resync (what other collectors
 * said meanwhile was not heard). NOTIFY is delivered only after the notifying transaction commits, and the heartbeat's
 * own transaction has committed before publish() is called, so a listener never reads older state than the signal.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { LocalNodeChanges, type ChangeListener, type NodeChanges } from './node-changes.js';

export const CHANNEL = 'traffic_collector_nodes';
/** How the LISTEN connection shows in pg_stat_activity. */
export const APPLICATION_NAME = 'traffic-collector-live';
/** PostgreSQL refuses payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7900;
const BATCH_MS = 20;

export interface PgChangesLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class PgNodeChanges implements NodeChanges {
  readonly instance = randomBytes(6).toString('hex');
  private readonly local = new LocalNodeChanges();
  private client: pg.Client | null = null;
  private connected = false;
  private closed = false;
  private retryMs = 500;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pending = new Set<number>();
  private batchTimer: ReturnType<typeof setTimeout> | null = null;
  /** The NOTIFYs under way, in order. */
  private sending: Promise<void> = Promise.resolve();
  /** Resolves once the first LISTEN is in place (or failed): tests and the server may wait for it. */
  readonly ready: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly log: PgChangesLogger,
  ) {
    this.ready = this.connect();
  }

  publish(nodeId: number): void {
    this.local.publish(nodeId);
    this.pending.add(nodeId);
    this.batchTimer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  subscribe(listener: ChangeListener): () => void {
    return this.local.subscribe(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.batchTimer) clearTimeout(this.batchTimer);
    await this.local.close();
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const c = new pg.Client({ connectionString: this.url, application_name: APPLICATION_NAME });
    this.client = c;
    // A failed connection must not crash the process (an 'error' without a listener would): it is retried.
    c.on('error', (err) => this.lost(c, err));
    c.on('end', () => this.lost(c, new Error('connection ended')));
    c.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload) this.heard(msg.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      this.lost(c, err as Error);
      return;
    }
    if (this.client !== c) return;
    const wasRetrying = this.retryMs > 500;
    this.connected = true;
    this.retryMs = 500;
    if (wasRetrying) {
      this.log.info({ channel: CHANNEL }, 'live updates: listening on PostgreSQL again');
      this.local.emit({ resync: true });
    }
  }

  private lost(c: pg.Client, err: Error): void {
    if (this.client !== c || this.closed) return;
    this.client = null;
    this.connected = false;
    c.end().catch(() => undefined);
    this.log.warn(
      { code: 'TC_DB_UNAVAILABLE', err: { message: err.message }, retryInMs: this.retryMs },
      'live updates: the LISTEN connection to PostgreSQL failed; other collectors are not heard until it is back',
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }

  /** `<instance> <id>,<id>,…` from the channel: our own echoes are dropped (local listeners had them at once). */
  private heard(payload: string): void {
    const space = payload.indexOf(' ');
    if (space < 0 || payload.slice(0, space) === this.instance) return;
    const ids = payload
      .slice(space + 1)
      .split(',')
      .map(Number)
      .filter((n) => Number.isSafeInteger(n) && n > 0);
    if (ids.length) this.local.emit({ ids });
  }

  private flush(): void {
    this.batchTimer = null;
    const ids = [...this.pending];
    this.pending = new Set();
    const c = this.client;
    if (!c || !this.connected || ids.length === 0) return;
    const prefix = `${this.instance} `;
    let chunk: number[] = [];
    let size = prefix.length;
    // One query at a time on the connection (pg deprecates queuing a query while another runs): each NOTIFY after
    // the one before it has been answered, whether it failed or not.
    const send = (list: number[]) => {
      const payload = prefix + list.join(',');
      this.sending = this.sending
        .then(() => c.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]))
        .then(
          () => undefined,
          (err: Error) =>
            this.log.warn(
              { err: { message: err.message } },
              'live updates: NOTIFY failed; other collectors poll instead',
            ),
        );
    };
    for (const id of ids) {
      const add = String(id).length + 1;
      if (size + add > MAX_PAYLOAD) {
        send(chunk);
        chunk = [];
        size = prefix.length;
      }
      chunk.push(id);
      size += add;
    }
    if (chunk.length) send(chunk);
  }
}
