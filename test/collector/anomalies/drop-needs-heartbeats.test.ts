/**
 * A drop is traffic that fell while the node kept sending. A node whose heartbeats stop carries nothing from then
 * on, which the hourly rule alone reads as drops: the hour it stopped in (partly empty) while it is still silent,
 * and the hours it was away once it is back (missing hours count as zero). That is the offline condition, with its
 * own alert (kind `offline`), not unusual traffic. findAnomalies (the API and the alert loop) reports a drop only
 * for a slot the node sent through: heard from after it, with its heartbeats' load samples in it.
 * Real SQLite store; three weeks of hourly history and the heartbeats' load samples written into it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findAnomalies } from '../../../src/collector/anomalies/find-anomalies.js';
import { SqliteStore } from '../../../src/collector/store/sqlite/sqlite-store.js';
import { hashToken } from '../../../src/collector/tokens.js';
import { hb } from '../store-contract.js';

const H = 3_600_000;
const MIN = 60_000;
const MB = 1024 * 1024;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('anomaly drops need a node that is still sending', () => {
  it('flags the hours a sending node carried next to nothing, not the hours a node was not sending', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drop-heartbeats-'));
    dirs.push(dir);
    const store = await SqliteStore.open(join(dir, 'c.db'));
    const now = Math.floor(Date.now() / H) * H + 30 * MIN; // half past the hour
    const hourNow = now - 30 * MIN;
    const start = hourNow - 21 * 24 * H;
    const stoppedAt = hourNow - 3 * H;
    const node = async (name: string) =>
      (
        await store.addNode({
          name,
          tokenHash: hashToken(`${name}-token-0123456789`),
          rate: '1',
          resetDay: 1,
          timezone: 'UTC',
          createdAt: start,
        })
      ).id;
    // quiet: heartbeats all along; from stoppedAt on it carries 1 KiB an hour (a real drop).
    const quiet = await node('quiet');
    // gone: its heartbeats stop five minutes into the stoppedAt hour, and with them its traffic; still silent.
    const gone = await node('gone');
    // back: away for the two hours from stoppedAt, sending (and busy) again since.
    const back = await node('back');
    const traffic = store.db.prepare('INSERT INTO traffic_hourly (node_id, hour, rx, tx) VALUES (?, ?, ?, ?)');
    const sample = store.db.prepare(
      'INSERT INTO load_samples (node_id, at, load1, load5, load15) VALUES (?, ?, 0.5, 0.5, 0.5)',
    );
    const away = (at: number) => at >= stoppedAt && at < stoppedAt + 2 * H;
    store.db.transaction(() => {
      for (let at = start, i = 0; at < hourNow; at += H, i++) {
        const usual = BigInt(Math.round((400 + 50 * Math.sin(i)) * MB));
        traffic.run(quiet, at, at < stoppedAt ? usual : 1024n, 0n);
        if (at < stoppedAt) traffic.run(gone, at, usual, 0n);
        if (at === stoppedAt) traffic.run(gone, at, usual / 12n, 0n);
        if (!away(at)) traffic.run(back, at, usual, 0n);
      }
      // One load sample a minute from each heartbeat, over the judged hours and a little before.
      for (let at = now - 8 * H; at < now; at += MIN) {
        sample.run(quiet, at);
        if (at < stoppedAt + 5 * MIN) sample.run(gone, at);
        if (!away(at)) sample.run(back, at);
      }
    })();
    const heartbeat = (id: number, at: number) =>
      store.ingestHeartbeat(
        id,
        hb('00000000000000d1', [], { load: null, uptimeSec: 1, bootId: null, agentVersion: 't', host: null }),
        at,
      );
    await heartbeat(gone, stoppedAt + 5 * MIN); // its last word
    await heartbeat(quiet, now - 10_000);
    await heartbeat(back, now - 10_000);

    const found = await findAnomalies(store, {
      from: now - 6 * H,
      to: now,
      scopes: ['node-hourly'],
      timeZone: 'UTC',
      now,
      onlineWithinMs: 3 * MIN,
      sampleEveryMs: MIN,
    });
    const drops = (id: number) => found.filter((a) => a.nodeId === id && a.kind === 'drop').map((a) => a.at);
    // The sending node: each ended hour since its traffic fell is a drop.
    expect(drops(quiet)).toEqual([stoppedAt, stoppedAt + H, stoppedAt + 2 * H]);
    // The node that stopped sending: not the hour it went silent in, although a twelfth of its usual.
    expect(drops(gone)).toEqual([]);
    // The node that came back: not the two hours it was away, although they hold nothing.
    expect(drops(back)).toEqual([]);
    await store.close();
  });
});
