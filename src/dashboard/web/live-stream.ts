/**
 * The collector's live updates (GET /api/v1/live, Server-Sent Events) read with fetch(), which, unlike EventSource,
 * sends the admin token in the Authorization header as every other API call does: no token in a URL or a cookie.
 * Reconnects by itself (1 s, doubling to 30 s; at once after the collector said `bye`), and treats a stream silent for
 * 2.5 keep-alive intervals as dead. While it is down the page polls (main.ts); it never gives up unless stopped or
 * refused the token. No DOM here: Node tests drive it against the real collector.
 */
export interface SseEvent {
  event: string;
  data: string;
}

/** Splits SSE text into complete events; `rest` is the unfinished tail to prepend to the next chunk. */
export function parseSse(text: string): { events: SseEvent[]; rest: string } {
  const events: SseEvent[] = [];
  // Any of CRLF, LF, CR ends a line; a CR at the very end may be half of a CRLF split across chunks, so it waits.
  const held = text.endsWith('\r') ? '\r' : '';
  const blocks = text
    .slice(0, text.length - held.length)
    .replace(/\r\n|\r/g, '\n')
    .split('\n\n');
  const rest = (blocks.pop() ?? '') + held;
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

export type StreamState = 'connecting' | 'open' | 'down';

export interface LiveStreamOptions {
  url: string;
  token: string;
  onEvent: (name: string, data: unknown) => void;
  onState: (state: StreamState, detail: string) => void;
  /** The token was refused (401/403): the stream stops; the page signs out. */
  onUnauthorized: () => void;
  /** Until the collector's `hello` says otherwise. */
  keepAliveMs?: number;
  maxRetryMs?: number;
}

export class LiveStream {
  private ctrl: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  private retryMs = 1000;
  private keepAliveMs: number;
  private stopped = true;
  private generation = 0;

  constructor(private readonly opts: LiveStreamOptions) {
    this.keepAliveMs = opts.keepAliveMs ?? 15_000;
  }

  start(): void {
    this.stop();
    this.stopped = false;
    void this.connect(this.generation);
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.ctrl?.abort();
    this.ctrl = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.retryTimer = null;
    this.watchdog = null;
  }

  private async connect(gen: number): Promise<void> {
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    this.opts.onState('connecting', '');
    let retryAfterMs = 0;
    let why = '';
    try {
      this.arm(ctrl);
      const res = await fetch(this.opts.url, {
        headers: { authorization: `Bearer ${this.opts.token}`, accept: 'text/event-stream' },
        cache: 'no-store',
        signal: ctrl.signal,
      });
      if (res.status === 401 || res.status === 403) {
        if (gen === this.generation) {
          this.stop();
          this.opts.onUnauthorized();
        }
        return;
      }
      if (!res.ok || !res.body) {
        retryAfterMs = Number(res.headers.get('retry-after')) * 1000 || 0;
        why = `the collector answered ${res.status}`;
        await res.body?.cancel();
      } else {
        why = await this.read(res.body, ctrl, gen);
      }
    } catch (err) {
      why = ctrl.signal.aborted ? 'no data for too long' : `the stream failed: ${(err as Error).message}`;
    }
    if (gen !== this.generation || this.stopped) return;
    if (this.watchdog) clearTimeout(this.watchdog);
    const wait = why === 'the collector is stopping' ? 1000 : Math.max(retryAfterMs, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, this.opts.maxRetryMs ?? 30_000);
    this.opts.onState('down', `${why}; reconnecting in ${Math.round(wait / 1000)} s`);
    this.retryTimer = setTimeout(() => void this.connect(gen), wait);
  }

  /** Reads events until the stream ends; returns why it ended. */
  private async read(body: ReadableStream<Uint8Array>, ctrl: AbortController, gen: number): Promise<string> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let ended = 'the collector closed the stream';
    for (;;) {
      const { done, value } = await reader.read();
      if (done || gen !== this.generation) return ended;
      this.arm(ctrl);
      const { events, rest } = parseSse(buffered + decoder.decode(value, { stream: true }));
      buffered = rest;
      for (const e of events) {
        let data: unknown = null;
        try {
          data = JSON.parse(e.data);
        } catch {
          continue; // not ours to act on
        }
        if (e.event === 'hello') {
          const k = (data as { keepAliveSec?: unknown }).keepAliveSec;
          if (typeof k === 'number' && k > 0) this.keepAliveMs = k * 1000;
          this.retryMs = 1000;
          this.arm(ctrl);
          this.opts.onState('open', '');
        }
        if (e.event === 'bye') ended = 'the collector is stopping';
        this.opts.onEvent(e.event, data);
      }
    }
  }

  /** (Re)starts the silence watchdog: no byte for 2.5 keep-alive intervals aborts the request. */
  private arm(ctrl: AbortController): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => ctrl.abort(), this.keepAliveMs * 2.5);
  }
}
