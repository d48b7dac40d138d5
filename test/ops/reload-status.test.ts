/** The reload acknowledgement file (src/ops/reload-status.ts): one reload at a time, and a reader that never throws. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  RELOAD_STATUS_FILE,
  ReloadAcknowledger,
  readReloadStatus,
  reloadStatusDir,
} from '../../src/ops/reload-status.js';

describe('reload status', () => {
  it('runs reloads one at a time: signals during a reload make one more, seen as later generations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reload-status-'));
    const seen: string[] = [];
    let release: (() => void) | null = null;
    let runs = 0;
    const ack = new ReloadAcknowledger(
      dir,
      () =>
        new Promise<string | null>((resolve) => {
          runs++;
          seen.push(readFileSync(join(dir, RELOAD_STATUS_FILE), 'utf8'));
          release = () => resolve(runs === 1 ? null : 'bad config');
        }),
      (err) => {
        throw err;
      },
      4242,
    );
    ack.announceRunning();
    expect(readReloadStatus(dir)).toMatchObject({ pid: 4242, generation: 0, state: 'running' });
    ack.request();
    ack.request(); // during the first: one more after it
    ack.request(); // coalesced with the one before
    expect(runs).toBe(1);
    expect(JSON.parse(seen[0])).toMatchObject({ generation: 1, state: 'reloading' });
    release!();
    await expect.poll(() => runs).toBe(2);
    expect(JSON.parse(seen[1])).toMatchObject({ generation: 2, state: 'reloading' });
    release!();
    await expect.poll(() => readReloadStatus(dir)?.state).toBe('refused');
    expect(readReloadStatus(dir)).toMatchObject({ pid: 4242, generation: 2, message: 'bad config' });
    expect(runs).toBe(2);
  });

  it('reads a missing, garbled or foreign file as no status', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reload-status-'));
    expect(readReloadStatus(dir)).toBeNull();
    for (const text of [
      '{"pid":1',
      '[]',
      'null',
      '{"pid":"1","generation":0,"state":"running"}',
      '{"pid":1,"generation":0,"state":"odd"}',
    ]) {
      writeFileSync(join(dir, RELOAD_STATUS_FILE), text);
      expect(readReloadStatus(dir), text).toBeNull();
    }
    expect(reloadStatusDir({ RUNTIME_DIRECTORY: '/run/a:/run/b' })).toBe('/run/a');
    expect(reloadStatusDir({ RUNTIME_DIRECTORY: '' })).toBeNull();
    expect(reloadStatusDir({})).toBeNull();
  });
});
