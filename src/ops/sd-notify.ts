/**
 * sd_notify(3) for Type=notify units: READY=1, WATCHDOG=1, RELOADING=1, STOPPING=1.
 *
 * The protocol is one AF_UNIX datagram to the path in $NOTIFY_SOCKET. Node has no unix datagram
 * sockets, so this uses the `unix-dgram` addon (built by node-gyp with no system library: no
 * libsystemd-dev, unlike the `sd-notify` package). It sends from the main process itself, so the
 * units keep NotifyAccess=main; spawning `systemd-notify` instead would need NotifyAccess=all and,
 * on systemd < 246 (RHEL 8, Ubuntu 20.04), races: PID 1 drops the message when the short-lived
 * child has exited before PID 1 looks up its cgroup.
 *
 * The single executable (npm run build:agent) cannot require() an addon: its entry (src/agent/sea/entry.ts) hands
 * useUnixDgramLoader() the bundled unix-dgram, whose binding is the addon embedded as an asset, written to a private
 * temporary file and process.dlopen()ed (src/agent/sea/sea-assets.ts).
 *
 * Every function is a no-op returning false when $NOTIFY_SOCKET is unset (not under systemd, or
 * Type=exec), and the addon is only loaded when there is something to send. A failure to send
 * throws SdNotifyError: the caller logs it (a unit that never sees READY=1 is killed after
 * TimeoutStartSec=, so the log line is what explains it).
 */
import { createRequire } from 'node:module';
import { errorMessage } from '../common/error-message.js';

export type NotifyEnv = Readonly<Record<string, string | undefined>>;

export class SdNotifyError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SdNotifyError';
    this.code = code;
  }
}

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  close(): void;
}
export interface UnixDgram {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

let addon: UnixDgram | undefined;
let loadUnixDgram = (): UnixDgram => createRequire(import.meta.url)('unix-dgram') as UnixDgram;

/** Replaces how unix-dgram is loaded (the single executable's entry does, see above). */
export function useUnixDgramLoader(load: () => UnixDgram): void {
  loadUnixDgram = load;
  addon = undefined;
}

function loadAddon(): UnixDgram {
  if (addon === undefined) {
    try {
      addon = loadUnixDgram();
    } catch (err) {
      throw new SdNotifyError(
        'ERR_SD_NOTIFY_ADDON',
        `cannot load the unix-dgram addon needed for $NOTIFY_SOCKET (was its install script run? npm rebuild unix-dgram): ${errorMessage(err)}`,
      );
    }
  }
  return addon;
}

/** Sends the newline-separated `state` (e.g. "READY=1\nSTATUS=up") to $NOTIFY_SOCKET. */
export function sdNotify(state: string, env: NotifyEnv = process.env): boolean {
  const target = env.NOTIFY_SOCKET;
  if (target === undefined || target === '') return false;
  if (!target.startsWith('/')) {
    // '@name' is the abstract namespace, 'vsock:' a VM socket: unix-dgram cannot address either.
    throw new SdNotifyError(
      'ERR_SD_NOTIFY_SOCKET',
      `unsupported NOTIFY_SOCKET ${JSON.stringify(target)}: only filesystem paths are supported`,
    );
  }
  const socket = loadAddon().createSocket('unix_dgram');
  const buf = Buffer.from(state, 'utf8');
  let failure: Error | undefined;
  try {
    // unix-dgram sends synchronously and calls back before send() returns.
    socket.send(buf, 0, buf.length, target, (err) => {
      failure = err;
    });
  } finally {
    socket.close();
  }
  if (failure !== undefined) {
    throw new SdNotifyError('ERR_SD_NOTIFY_SEND', `sd_notify to ${target} failed: ${failure.message}`);
  }
  return true;
}

function withStatus(state: string, status: string | undefined): string {
  return status === undefined ? state : `${state}\nSTATUS=${status.replace(/\n/g, ' ')}`;
}

/** Start-up finished (or a reload finished): systemd moves the unit to active. */
export function notifyReady(status?: string, env?: NotifyEnv): boolean {
  return sdNotify(withStatus('READY=1', status), env);
}

/** Keep-alive ping: send every watchdogIntervalMs() while the event loop is healthy. */
export function notifyWatchdog(env?: NotifyEnv): boolean {
  return sdNotify('WATCHDOG=1', env);
}

/** Shutdown begun. */
export function notifyStopping(status?: string, env?: NotifyEnv): boolean {
  return sdNotify(withStatus('STOPPING=1', status), env);
}

/**
 * Reload begun (on SIGHUP); send notifyReady() when it is done. MONOTONIC_USEC is required by
 * Type=notify-reload (systemd >= 253) and ignored by older managers. process.hrtime is
 * CLOCK_MONOTONIC on Linux, the clock systemd compares it with.
 */
export function notifyReloading(env?: NotifyEnv): boolean {
  const usec = process.hrtime.bigint() / 1000n;
  return sdNotify(`RELOADING=1\nMONOTONIC_USEC=${usec}`, env);
}

/**
 * Half of $WATCHDOG_USEC in milliseconds, as sd_watchdog_enabled(3) advises, or null when no
 * watchdog is asked of this process ($WATCHDOG_PID names another one, or the value is bad).
 */
export function watchdogIntervalMs(env: NotifyEnv = process.env, pid: number = process.pid): number | null {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^[1-9][0-9]*$/.test(usec)) return null;
  const forPid = env.WATCHDOG_PID;
  if (forPid !== undefined && forPid !== '' && Number(forPid) !== pid) return null;
  return Math.max(1, Math.floor(Number(usec) / 2000));
}

/**
 * Pings the watchdog every watchdogIntervalMs() from a timer that does not keep the process
 * alive. Returns the function that stops it (a no-op when no watchdog was asked for).
 */
export function startWatchdog(onError: (err: Error) => void, env: NotifyEnv = process.env): () => void {
  const interval = watchdogIntervalMs(env);
  if (interval === null) return () => {};
  const timer = setInterval(() => {
    try {
      notifyWatchdog(env);
    } catch (err) {
      onError(err instanceof Error ? err : new Error(errorMessage(err)));
    }
  }, interval);
  timer.unref();
  return () => clearInterval(timer);
}
