/**
 * `traffic-agent reload --pid PID` and `traffic-collector reload --pid PID`: send SIGHUP to a running daemon, which
 * reloads its configuration.
 *
 * The units' ExecReload run it with $MAINPID, so reload needs nothing but the program itself: minimal Debian has no
 * /bin/kill (procps is not installed), where `ExecReload=/bin/kill -HUP $MAINPID` fails with 203/EXEC.
 */
import { errorCode, errorMessage } from '../common/error-message.js';

export function reloadCommand(
  pid: unknown,
  kill: (pid: number, signal: NodeJS.Signals) => void = process.kill,
  program = 'traffic-agent',
): number {
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid < 2) {
    process.stderr.write(
      `${program} reload: --pid must be the daemon's process id (an integer > 1), got ${String(pid)}\n`,
    );
    return 2;
  }
  try {
    kill(pid, 'SIGHUP');
  } catch (err) {
    const code = errorCode(err);
    const why = code === 'ESRCH' ? 'no such process' : code === 'EPERM' ? 'not permitted' : errorMessage(err);
    process.stderr.write(`${program} reload: cannot signal process ${pid}: ${why}\n`);
    return 1;
  }
  return 0;
}
