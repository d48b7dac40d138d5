/**
 * The connections to one receiver (one scheme, host and port): TCP, or TLS for https, kept open between requests
 * (HTTP/1.1 keep-alive) for at most keepAliveMs, or less when the receiver's `Keep-Alive: timeout=N` says so (a second
 * before it, as node:http does). An idle connection the receiver closes, or that sends anything, is dropped; one is
 * reused only while open. At most MAX_IDLE are kept; a request finds one or opens a new one.
 *
 * Idle connections do not keep the process alive (unref), like node:http's keep-alive agent.
 *
 * Bytes are read with the sockets' `onread` option: straight into one buffer of this receiver's, handed to whoever
 * holds the connection, without the readable stream machinery ('end' and 'close' still come as events). A holder must
 * copy what it keeps before it returns: the buffer is read into again.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import type * as Tls from 'node:tls';

const MAX_IDLE = 4;
const READ_BUFFER_BYTES = 16 * 1024;

/** What a connection's holder gets: the bytes just read, valid only until it returns. */
export type OnBytes = (chunk: Buffer) => void;

export class HttpConnections {
  private readonly host: string;
  private readonly port: number;
  private readonly tls: typeof Tls | null;
  private readonly idle: Socket[] = [];
  private readonly busy = new Set<Socket>();
  /** Who gets each connection's bytes: its holder, or dropIdle while it waits. */
  private readonly holders = new WeakMap<Socket, OnBytes>();
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private destroyed = false;

  /**
   * `everyMs`: how often this receiver is asked (the tick interval), when known. A connection that would be closed
   * before the next request (by the receiver's Keep-Alive timeout or keepAliveMs) is closed right after its answer,
   * while everything is warm, instead of waking the agent later to close it.
   */
  constructor(
    url: URL,
    private readonly keepAliveMs: number,
    private readonly everyMs?: number,
  ) {
    // URL keeps an IPv6 literal in brackets; a socket wants it without.
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const https = url.protocol === 'https:';
    this.port = url.port === '' ? (https ? 443 : 80) : Number(url.port);
    // node:tls is loaded only for an https receiver.
    this.tls = https ? (process.getBuiltinModule('node:tls') as typeof Tls) : null;
  }

  /**
   * A connection for one request, its bytes going to `onBytes`: an idle one still open, else a new one (connecting;
   * writes wait for it).
   */
  take(onBytes: OnBytes): Socket {
    if (this.destroyed) throw new Error('the connections are closed');
    for (let s = this.idle.pop(); s !== undefined; s = this.idle.pop()) {
      if (s.destroyed) continue;
      this.holders.set(s, onBytes);
      s.removeListener('end', dropIdle);
      s.removeListener('timeout', dropIdle);
      s.removeListener('error', dropIdle);
      s.removeListener('close', this.forget);
      s.setTimeout(0);
      s.ref();
      this.busy.add(s);
      return s;
    }
    const onread = {
      buffer: this.readBuffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        this.holders.get(s)?.call(s, buf.subarray(0, n) as Buffer);
        return true;
      },
    };
    // tls.connect takes onread like net.connect (documented), though @types/node leaves it out.
    const s: Socket = this.tls
      ? this.tls.connect({
          host: this.host,
          port: this.port,
          servername: isIP(this.host) ? undefined : this.host,
          onread,
        } as Tls.ConnectionOptions)
      : netConnect({ host: this.host, port: this.port, onread });
    s.setNoDelay(true);
    this.holders.set(s, onBytes);
    this.busy.add(s);
    return s;
  }

  /**
   * The request on `s` is over. With `reuse` (a whole answer, keep-alive, nothing after it) the connection is kept
   * for the next request; otherwise it is closed. `hintSec` is the receiver's Keep-Alive timeout, if it gave one.
   */
  release(s: Socket, reuse: boolean, hintSec: number | null): void {
    this.busy.delete(s);
    const keepMs = hintSec === null ? this.keepAliveMs : Math.min(this.keepAliveMs, hintSec * 1000 - 1000);
    const outlives = keepMs > 0 && (this.everyMs === undefined || keepMs >= this.everyMs);
    if (!reuse || !outlives || this.destroyed || s.destroyed || this.idle.length >= MAX_IDLE) {
      s.destroy();
      return;
    }
    this.holders.set(s, dropIdle);
    s.on('end', dropIdle);
    s.on('timeout', dropIdle);
    s.on('error', dropIdle);
    s.on('close', this.forget);
    s.setTimeout(keepMs);
    s.unref();
    this.idle.push(s);
  }

  /** Closes every connection now, idle or in use (a request in flight then fails). */
  destroy(): void {
    this.destroyed = true;
    for (const s of [...this.idle, ...this.busy]) s.destroy();
    this.idle.length = 0;
    this.busy.clear();
  }

  private readonly forget = (): void => {
    for (let i = this.idle.length - 1; i >= 0; i--) if (this.idle[i].destroyed) this.idle.splice(i, 1);
  };
}

/** An idle connection that the receiver closed, that timed out, failed, or sent anything unasked: closed. */
function dropIdle(this: Socket): void {
  this.destroy();
}
