/**
 * `traffic-agent reload --pid PID`: sends SIGHUP to a running daemon, which reloads its configuration.
 *
 * The unit's ExecReload runs it with $MAINPID, so reload needs nothing but the agent itself: minimal Debian has no
 * /bin/kill (procps is not installed), where `ExecReload=/bin/kill -HUP $MAINPID` fails with 203/EXEC.
 */
import { errorCode, errorMessage } from '../../common/error-message.js';

export function reloadCommand(
  pid: unknown,
  kill: (pid: number, signal: NodeJS.Signals) => void = process.kill,
): number {
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid < 2) {
    process.stderr.write(
      `traffic-agent reload: --pid must be the daemon's process id (an integer > 1), got ${String(pid)}\n`,
    );
    return 2;
  }
  try {
    kill(pid, 'SIGHUP');
  } catch (err) {
    const code = errorCode(err);
    const why = code === 'ESRCH' ? 'no such process' : code === 'EPERM' ? 'not permitted' : errorMessage(err);
    process.stderr.write(`traffic-agent reload: cannot signal process ${pid}: ${why}\n`);
    return 1;
  }
  return 0;
}
