/**
 * A test client of GET /api/v1/live over real HTTP: the status, headers and every event as it arrives (parsed by the
 * dashboard's own parseSse), with the time each arrived.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { parseSse } from '../../../src/dashboard/web/live-stream.js';

export interface Received {
  event: string;
  data: unknown;
  at: number;
}

export interface SseConnection {
  status: number;
  headers: { get(name: string): string | null };
  body: string;
  events: Received[];
  /** Raw text received so far (comments included). */
  text(): string;
  waitFor(what: string, pred: (e: Received) => boolean, ms?: number): Promise<Received>;
  closed: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const ctrl = new AbortController();
  // A connection of its own, destroyed on close: after an aborted body the shared pool of Node's fetch was seen to open
  // a spare connection that sends no request, which then holds the server's close() until its keep-alive timeout.
  const dispatcher = new Agent({ connections: 1 });
  const res = await undiciFetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: ctrl.signal,
    dispatcher,
  });
  const events: Received[] = [];
  let raw = '';
  let rest = '';
  const waiters = new Set<() => void>();
  let closed: Promise<void> = Promise.resolve();
  let body = '';
  if (res.ok && res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    closed = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          const chunk = decoder.decode(value, { stream: true });
          raw += chunk;
          const parsed = parseSse(rest + chunk);
          rest = parsed.rest;
          for (const e of parsed.events) events.push({ event: e.event, data: JSON.parse(e.data), at: Date.now() });
          for (const w of waiters) w();
        }
      } catch {
        /* aborted by close() */
      } finally {
        for (const w of waiters) w();
      }
    })();
  } else body = await res.text();
  let ended = false;
  void closed.then(() => {
    ended = true;
  });
  return {
    status: res.status,
    headers: res.headers,
    body,
    events,
    text: () => raw,
    closed,
    close: () => {
      ctrl.abort();
      void dispatcher.destroy().catch(() => undefined);
    },
    waitFor(what, pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find(pred);
          if (hit) {
            done();
            resolve(hit);
          } else if (ended) {
            done();
            reject(new Error(`stream ended before ${what}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${what} within ${ms} ms; events: ${events.map((e) => e.event).join(', ')}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
