import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  notifyReady,
  notifyReloading,
  notifyStopping,
  notifyWatchdog,
  SdNotifyError,
  startWatchdog,
  watchdogIntervalMs,
} from '../../src/ops/sd-notify.js';
import { startListener, type Listener } from '../support/notify-listener.js';

describe('sd-notify', () => {
  let dir: string | undefined;
  let listener: Listener | undefined;

  afterEach(() => {
    listener?.child.kill();
    listener = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('sends READY=1, WATCHDOG=1, RELOADING=1 and STOPPING=1 to a real datagram socket', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sd-notify-'));
    listener = await startListener(dir);
    const env = { NOTIFY_SOCKET: listener.path };

    expect(notifyReady('listening on 127.0.0.1:8080', env)).toBe(true);
    expect(await listener.next()).toBe('READY=1\nSTATUS=listening on 127.0.0.1:8080');

    expect(notifyWatchdog(env)).toBe(true);
    expect(await listener.next()).toBe('WATCHDOG=1');

    expect(notifyReloading(env)).toBe(true);
    expect(await listener.next()).toMatch(/^RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*$/);

    expect(notifyStopping(undefined, env)).toBe(true);
    expect(await listener.next()).toBe('STOPPING=1');
  });

  it('pings the watchdog from a timer at half of WATCHDOG_USEC', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sd-notify-'));
    listener = await startListener(dir);
    const errors: Error[] = [];
    const stop = startWatchdog((e) => errors.push(e), {
      NOTIFY_SOCKET: listener.path,
      WATCHDOG_USEC: '100000',
      WATCHDOG_PID: String(process.pid),
    });
    try {
      expect(await listener.next()).toBe('WATCHDOG=1');
      expect(await listener.next()).toBe('WATCHDOG=1');
    } finally {
      stop();
    }
    expect(errors).toEqual([]);
  });

  it('is a no-op without NOTIFY_SOCKET', () => {
    expect(notifyReady(undefined, {})).toBe(false);
    expect(notifyWatchdog({ NOTIFY_SOCKET: '' })).toBe(false);
  });

  it('throws a coded error when nothing listens at NOTIFY_SOCKET', () => {
    dir = mkdtempSync(join(tmpdir(), 'sd-notify-'));
    const path = join(dir, 'absent.sock');
    expect(existsSync(path)).toBe(false);
    let caught: unknown;
    try {
      notifyReady(undefined, { NOTIFY_SOCKET: path });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SdNotifyError);
    expect((caught as SdNotifyError).code).toBe('ERR_SD_NOTIFY_SEND');
  });

  it('refuses an abstract-namespace socket it cannot address', () => {
    expect(() => notifyReady(undefined, { NOTIFY_SOCKET: '@/org/example/notify' })).toThrowError(
      /unsupported NOTIFY_SOCKET/,
    );
  });

  it('computes the watchdog interval as half of WATCHDOG_USEC, for this PID only', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000' }, 42)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '42' }, 42)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '43' }, 42)).toBeNull();
    expect(watchdogIntervalMs({}, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeNull();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeNull();
  });
});
