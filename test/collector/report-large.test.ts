/**
 * A large billing report streams: 300,000 user-node rows through the real collector binary as CSV, with the
 * collector's V8 old space capped at 40 MB. Every row arrives, exact. Held whole, the rows alone do not fit in that
 * cap (tried: a formatter that collected the rows before writing them crashed the collector here even at 56 MB),
 * while the streamed report runs in 32 MB: the rows are paged by key and leave as they are formatted. The heap cap
 * is the assertion because RSS growth is not one: it follows the garbage collector's pace, which a loaded machine
 * slows (84 MB in one CI run against 25-47 MB on a quiet one, for the same streamed report).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { SqliteStore } from '../../src/collector/store/sqlite/sqlite-store.js';
import { hashToken } from '../../src/collector/tokens.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';

const dir = mkdtempSync(join(tmpdir(), 'tc-report-large-'));
let c: CollectorProcess | undefined;
afterAll(async () => {
  await c?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Users per node; two nodes, so twice as many report rows. */
const USERS = 150_000;
/** The collector's --max-old-space-size, MB. */
const HEAP_MB = 40;
const mb = (pid: number, key: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

describe('a 300,000-row report', () => {
  it('streams every row through a collector whose heap cannot hold it whole', { timeout: 180_000 }, async () => {
    const db = join(dir, 'collector.db');
    const store = await SqliteStore.open(db, { create: true });
    const day = Math.floor(Date.now() / 86_400_000) * 86_400 - 2 * 86_400;
    for (const n of [1, 2]) {
      const node = await store.addNode({
        name: `node-${n}`,
        tokenHash: hashToken(`t${n}`),
        rate: '1',
        resetDay: 1,
        timezone: 'UTC',
        createdAt: Date.now(),
      });
      for (let base = 0; base < USERS; base += 10_000) {
        const rows: Array<[number, bigint, bigint]> = [];
        for (let u = base; u < base + 10_000; u++) rows.push([1_000_000 + u, BigInt(u * 3 + n), BigInt(u * 7 + n)]);
        await store.pushUserTraffic({ nodeId: node.id, rate: '1', recordAt: day, rows, receivedAt: Date.now() });
      }
    }
    await store.close();

    c = await startCollector({ db, env: { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` } });
    const pid = c.child.pid as number;
    await request(`${c.url}/healthz`).then((r) => r.body.dump());
    const before = mb(pid, 'VmRSS');
    const date = new Date(day * 1000).toISOString().slice(0, 10);
    const t0 = Date.now();
    const res = await request(`${c.url}/api/v1/reports?by=user-node&from=${date}&to=${date}&format=csv`, {
      headers: { authorization: `Bearer ${c.adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    let firstByteMs = -1;
    let bytes = 0;
    let lines = 0;
    let peakDuring = before;
    let total = 0n;
    let tail = '';
    for await (const chunk of res.body) {
      if (firstByteMs < 0) firstByteMs = Date.now() - t0;
      bytes += chunk.length;
      const text = tail + (chunk as Buffer).toString('utf8');
      const parts = text.split('\r\n');
      tail = parts.pop() ?? '';
      for (const line of parts) {
        lines++;
        if (lines > 1) total += BigInt(line.slice(line.lastIndexOf(',') + 1));
      }
      peakDuring = Math.max(peakDuring, mb(pid, 'VmRSS'));
    }
    const wholeMs = Date.now() - t0;
    expect(tail).toBe('');
    expect(lines).toBe(2 * USERS + 1);
    // sum over users u of (3u + n) + (7u + n), for n = 1, 2 and u = 0..USERS-1
    const u = BigInt(USERS);
    expect(total).toBe(2n * 10n * ((u * (u - 1n)) / 2n) + 2n * u * 3n);
    const growth = peakDuring - before;
    console.log(
      `${2 * USERS}-row CSV report: ${(bytes / 1024 / 1024).toFixed(1)} MiB, first byte after ${firstByteMs} ms, whole in ${wholeMs} ms; collector RSS ${before.toFixed(0)} MB before, peak ${peakDuring.toFixed(0)} MB while streaming (+${growth.toFixed(0)} MB), old space capped at ${HEAP_MB} MB`,
    );
    // Still the same process, alive and answering: a collector killed by its heap cap would have cut the stream.
    expect((await request(`${c.url}/healthz`)).statusCode).toBe(200);
    expect(c.child.exitCode).toBeNull();
  });
});
