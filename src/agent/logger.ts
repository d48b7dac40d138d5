/** pino, JSON lines to stdout (journald keeps them); pretty when a person watches a terminal. Tokens never reach it. */
import { pino, destination, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'token',
  '*.token',
  'node.token',
  'panel.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

export function createLogger(
  level: LevelWithSilent,
  opts: { pretty?: boolean; destination?: NodeJS.WritableStream } = {},
): Logger {
  const pretty = opts.pretty ?? (process.stdout.isTTY === true && !opts.destination);
  const base = {
    level,
    base: { name: 'traffic-agent', pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 1 } } });
  return pino(base, opts.destination ?? destination({ dest: 1, sync: true }));
}
