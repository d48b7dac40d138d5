/**
 * The open Server-Sent Events streams of the dashboard (GET /api/v1/live) and what they are sent:
 * - `hello` on connect (the collector's clock and cadence), then `nodes` whenever nodes changed: the changed nodes'
 *   views (views.ts nodeView, the elements of GET /api/v1/nodes), built once per batch and written to every stream.
 *   Changes are gathered for `BATCH_MS`, so a fleet's heartbeats cost a few store reads per second, not one per
 *   heartbeat per page.
 * - `resync` when a stream may have missed something (it fell behind, the PostgreSQL LISTEN connection came back, a
 *   batch could not be read): the page reloads the fleet over the ordinary API.
 * - a comment line every keep-alive interval, so proxies and NATs see traffic and a page notices a dead stream.
 * Bounded: at most `liveMaxStreams` streams (more are refused 503 TC_STREAMS_FULL); a stream whose socket holds more
 * than MAX_BUFFERED bytes is written nothing more (it is owed one `resync` once it drains), and one that has not
 * drained for two keep-alive intervals is cut. A closed connection is forgotten at once.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../context.js';
import type { NodeStats } from '../store/store.js';
import { nodeView, offlineAfterMs } from '../views.js';
import type { NodeChanges } from './node-changes.js';

/** Bytes a stream's socket may hold unsent before it is written nothing more. */
export const MAX_BUFFERED = 256 * 1024;
const BATCH_MS = 100;
/** Above this many changed nodes in one batch, one listNodeStats is cheaper than that many getNodeStats. */
const LIST_ALL_ABOVE = 32;

interface Stream {
  res: ServerResponse;
  peer: string;
  /** Set when a write was skipped because the socket was full: when it stopped draining. */
  behindSince: number | null;
}

export interface LiveStreamsOptions {
  maxStreams: number;
  keepAliveMs: number;
}

export class LiveStreams {
  private readonly streams = new Set<Stream>();
  private pending = new Set<number>();
  private batchTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly keepAlive: ReturnType<typeof setInterval>;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: AppContext,
    changes: NodeChanges,
    private readonly log: FastifyBaseLogger,
    private readonly opts: LiveStreamsOptions,
  ) {
    this.unsubscribe = changes.subscribe((c) => {
      if (this.streams.size === 0) return;
      if ('resync' in c) this.broadcast(event('resync', { reason: 'missed-changes' }));
      else {
        for (const id of c.ids) this.pending.add(id);
        this.batchTimer ??= setTimeout(() => void this.flush(), BATCH_MS);
      }
    });
    this.keepAlive = setInterval(() => this.tick(), opts.keepAliveMs);
    this.keepAlive.unref();
  }

  get size(): number {
    return this.streams.size;
  }

  get full(): boolean {
    return this.streams.size >= this.opts.maxStreams;
  }

  /** Takes over a response whose headers are not sent yet: writes the SSE headers and `hello`, keeps it until it closes. */
  open(res: ServerResponse, peer: string): void {
    const s: Stream = { res, peer, behindSince: null };
    this.streams.add(s);
    this.ctx.metrics.liveStreams.set(this.streams.size);
    res.socket?.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    const forget = () => {
      if (!this.streams.delete(s)) return;
      this.ctx.metrics.liveStreams.set(this.streams.size);
      this.log.debug({ peer, streams: this.streams.size }, 'live stream closed');
    };
    res.on('close', forget);
    res.on('error', forget);
    res.on('drain', () => {
      if (s.behindSince === null) return;
      s.behindSince = null;
      this.log.info({ peer }, 'live stream drained: told to resync');
      this.write(s, event('resync', { reason: 'behind' }));
    });
    this.write(
      s,
      `retry: 5000\n\n${event('hello', {
        serverTime: this.ctx.now(),
        heartbeatIntervalSec: this.ctx.config.heartbeatIntervalSec,
        offlineAfterMs: offlineAfterMs(this.ctx.config),
        keepAliveSec: this.opts.keepAliveMs / 1000,
      })}`,
    );
    this.log.debug({ peer, streams: this.streams.size }, 'live stream opened');
  }

  /** Ends every stream (the collector is stopping): each is told, so its page reconnects to whichever collector is up. */
  close(): void {
    this.unsubscribe();
    clearInterval(this.keepAlive);
    if (this.batchTimer) clearTimeout(this.batchTimer);
    for (const s of this.streams) s.res.end(event('bye', { reason: 'collector stopping' }));
    this.streams.clear();
    this.ctx.metrics.liveStreams.set(0);
  }

  private async flush(): Promise<void> {
    this.batchTimer = null;
    const ids = this.pending;
    this.pending = new Set();
    if (this.streams.size === 0 || ids.size === 0) return;
    let stats: NodeStats[];
    try {
      stats =
        ids.size > LIST_ALL_ABOVE
          ? (await this.ctx.store.listNodeStats()).filter((s) => ids.has(s.id))
          : (await Promise.all([...ids].map((id) => this.ctx.store.getNodeStats(id)))).filter(
              (s): s is NodeStats => s !== undefined,
            );
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'live update could not be read; streams resync');
      this.broadcast(event('resync', { reason: 'read-failed' }));
      return;
    }
    if (stats.length === 0) return;
    const now = this.ctx.now();
    this.broadcast(event('nodes', { serverTime: now, nodes: stats.map((s) => nodeView(s, now, this.ctx.config)) }));
  }

  private broadcast(text: string): void {
    for (const s of this.streams) this.write(s, text);
  }

  /** Writes unless the socket already holds MAX_BUFFERED bytes; then the stream is behind and owed a resync. */
  private write(s: Stream, text: string): void {
    if (s.res.writableLength > MAX_BUFFERED) {
      if (s.behindSince === null) {
        s.behindSince = Date.now();
        this.log.info(
          { peer: s.peer, bufferedBytes: s.res.writableLength },
          'live stream behind: nothing more is written to it until it drains',
        );
      }
      return;
    }
    s.res.write(text);
  }

  /** Keep-alive comments, and the cut of streams that stopped reading. */
  private tick(): void {
    const now = Date.now();
    for (const s of this.streams) {
      if (s.behindSince !== null && now - s.behindSince >= 2 * this.opts.keepAliveMs) {
        this.log.warn(
          { peer: s.peer, bufferedBytes: s.res.writableLength, behindMs: now - s.behindSince },
          'live stream cut: the client stopped reading',
        );
        this.ctx.metrics.liveStreamsCut.inc();
        this.streams.delete(s);
        this.ctx.metrics.liveStreams.set(this.streams.size);
        s.res.destroy();
        continue;
      }
      this.write(s, ': keep-alive\n\n');
    }
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
