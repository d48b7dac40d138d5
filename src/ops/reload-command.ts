/**
 * `traffic-agent reload --pid PID` and `traffic-collector reload --pid PID`: send SIGHUP to a running daemon, then wait
 * (10 s at most by default) until it says the reload is over (src/ops/reload-status.ts), so that `systemctl reload`
 * returns once the new config is in force, or fails saying why the daemon refused it and kept the old one.
 *
 * Exit codes: 0 reloaded (or signalled and not waited for, when there is no $RUNTIME_DIRECTORY: the daemon was not
 * started by the unit, said on stderr); 1 the daemon refused the config, did not answer in time, exited, or could not
 * be signalled; 2 a bad --pid or --timeout-sec.
 *
 * The units' ExecReload run it with $MAINPID, so reload needs nothing but the program itself: minimal Debian has no
 * /bin/kill (procps is not installed), where `ExecReload=/bin/kill -HUP $MAINPID` fails with 203/EXEC.
 */
import { errorCode, errorMessage } from '../common/error-message.js';
import { readReloadStatus, reloadStatusDir } from './reload-status.js';

export const DEFAULT_RELOAD_TIMEOUT_SEC = 10;

export interface ReloadCommandOptions {
  pid: unknown;
  program?: string;
  /** How long to wait for the daemon's acknowledgement. */
  timeoutSec?: unknown;
  kill?: (pid: number, signal: NodeJS.Signals | 0) => void;
  env?: Readonly<Record<string, string | undefined>>;
  pollMs?: number;
  stderr?: (text: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function alive(kill: (pid: number, signal: 0) => void, pid: number): boolean {
  try {
    kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) !== 'ESRCH';
  }
}

export async function reloadCommand(opts: ReloadCommandOptions): Promise<number> {
  const { pid } = opts;
  const program = opts.program ?? 'traffic-agent';
  const kill = opts.kill ?? process.kill;
  const say = opts.stderr ?? ((t: string) => void process.stderr.write(t));
  const timeoutSec = opts.timeoutSec ?? DEFAULT_RELOAD_TIMEOUT_SEC;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid < 2) {
    say(`${program} reload: --pid must be the daemon's process id (an integer > 1), got ${String(pid)}\n`);
    return 2;
  }
  if (typeof timeoutSec !== 'number' || !(timeoutSec > 0) || timeoutSec > 3600) {
    say(`${program} reload: --timeout-sec must be a number of seconds in (0, 3600], got ${String(timeoutSec)}\n`);
    return 2;
  }
  const dir = reloadStatusDir(opts.env ?? process.env);
  // Read before the signal: the generation to wait past (-1 when the daemon has written none yet).
  const before = dir === null ? null : readReloadStatus(dir);
  const baseline = before !== null && before.pid === pid ? before.generation : -1;
  try {
    kill(pid, 'SIGHUP');
  } catch (err) {
    const code = errorCode(err);
    const why = code === 'ESRCH' ? 'no such process' : code === 'EPERM' ? 'not permitted' : errorMessage(err);
    say(`${program} reload: cannot signal process ${pid}: ${why}\n`);
    return 1;
  }
  if (dir === null) {
    say(
      `${program} reload: signalled process ${pid}; not waiting for it to finish: $RUNTIME_DIRECTORY is unset ` +
        '(the systemd unit sets it; see its log for the outcome)\n',
    );
    return 0;
  }
  const deadline = Date.now() + timeoutSec * 1000;
  const pollMs = opts.pollMs ?? 50;
  for (;;) {
    const s = readReloadStatus(dir);
    if (s !== null && s.pid === pid && s.generation > baseline) {
      if (s.state === 'reloaded') return 0;
      if (s.state === 'refused') {
        say(
          `${program} reload: process ${pid} refused the new configuration and keeps the old one: ${s.message ?? '(no reason given)'}\n`,
        );
        return 1;
      }
    }
    if (!alive(kill, pid)) {
      say(`${program} reload: process ${pid} exited before it acknowledged the reload\n`);
      return 1;
    }
    if (Date.now() >= deadline) {
      const seen = s === null || s.pid !== pid ? 'it has written no reload status' : `its status is ${s.state}`;
      say(
        `${program} reload: process ${pid} did not finish reloading within ${timeoutSec} s (${seen} in ${dir}); ` +
          'see its log\n',
      );
      return 1;
    }
    await sleep(pollMs);
  }
}
