/** Builds the collector app on a fresh SQLite file for inject-based tests; logs captured in memory. */
import type { LightMyRequestResponse } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { buildApp } from '../../src/collector/app.js';
import type { NodeChanges } from '../../src/collector/live/node-changes.js';
import { validateConfig } from '../../src/collector/config.js';
import { createLogger } from '../../src/collector/logger.js';
import { SqliteStore } from '../../src/collector/store/sqlite/sqlite-store.js';
import { generateToken, hashToken } from '../../src/collector/tokens.js';
import { HEARTBEAT_PATH, type HeartbeatRequest } from '../../src/protocol/heartbeat.js';

export const ADMIN = 'admin-token-0123456789abcdef';

export interface TestApp {
  app: FastifyInstance;
  store: SqliteStore;
  logs: string[];
  clock: { now: number };
  addNode(opts?: {
    rate?: string;
    resetDay?: number;
    timezone?: string;
    name?: string;
  }): Promise<{ id: number; token: string }>;
  heartbeat(token: string, body: Partial<HeartbeatRequest> & { epoch?: string }): Promise<LightMyRequestResponse>;
  admin(url: string, method?: 'GET' | 'POST'): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function heartbeatBody(over: Partial<HeartbeatRequest> = {}): HeartbeatRequest {
  return {
    epoch: '0123456789abcdef',
    records: [],
    load: [0.1, 0.2, 0.3],
    uptimeSec: 100,
    bootId: 'b1',
    agentVersion: '0.1.0',
    sentAt: Date.now(),
    ...over,
  };
}

export async function makeTestApp(
  config: Record<string, unknown> = {},
  start = Date.UTC(2026, 2, 15, 12),
  opts: { runAlerts?: boolean; changes?: NodeChanges; onRoute?: (route: RouteOptions) => void } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-app-'));
  const store = await SqliteStore.open(join(dir, 'c.db'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const clock = { now: start };
  // Back-pressure off unless a test turns it on: on a loaded test machine the event-loop delay of a starved process
  // passes any fixed bound, and a 503 there would say nothing about the code under test.
  const cfg = validateConfig({
    db: join(dir, 'c.db'),
    logLevel: 'info',
    maxEventLoopDelayMs: 0,
    maxHeapUsedBytes: 0,
    ...config,
  });
  const app = await buildApp({
    store,
    config: cfg,
    logger: createLogger(cfg.logLevel, sink),
    adminToken: ADMIN,
    now: () => clock.now,
    runAlerts: opts.runAlerts,
    changes: opts.changes,
    onRoute: opts.onRoute,
  });
  if (opts.runAlerts) await app.ready();
  return {
    app,
    store,
    logs,
    clock,
    async addNode(o = {}) {
      const token = generateToken();
      const n = await store.addNode({
        name: o.name ?? 'n',
        tokenHash: hashToken(token),
        rate: o.rate ?? '1',
        resetDay: o.resetDay ?? 1,
        timezone: o.timezone ?? 'UTC',
        createdAt: clock.now,
      });
      return { id: n.id, token };
    },
    heartbeat(token, body) {
      return app.inject({
        method: 'POST',
        url: HEARTBEAT_PATH,
        headers: { authorization: `Bearer ${token}` },
        payload: heartbeatBody(body),
      });
    },
    admin(url, method = 'GET') {
      return app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}` } });
    },
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
