import { spawn, type ChildProcess } from 'node:child_process';
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

// A real AF_UNIX datagram listener in python3: prints "ready" once bound, then each datagram
// received as one JSON line.
const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    data = s.recv(4096)
    print(json.dumps(data.decode()), flush=True)
`;

interface Listener {
  path: string;
  child: ChildProcess;
  next(): Promise<string>;
}

function waitForLine(child: ChildProcess, lines: string[], waiters: Array<(l: string) => void>): void {
  let buffer = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
}

async function startListener(dir: string): Promise<Listener> {
  const path = join(dir, 'notify.sock');
  const child = spawn('python3', ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  waitForLine(child, lines, waiters);
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolve(queued);
      const timer = setTimeout(() => reject(new Error('no datagram within 10 s')), 10_000);
      waiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  expect(await next()).toBe('ready');
  return { path, child, next: async () => JSON.parse(await next()) as string };
}

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
