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

let prettyStream: (() => NodeJS.WritableStream) | undefined;

/**
 * The single executable cannot start pino's transport worker (it loads pino-pretty by path): its entry
 * (src/agent/sea/entry.ts) gives an in-process pino-pretty stream instead.
 */
export function usePrettyStream(make: () => NodeJS.WritableStream): void {
  prettyStream = make;
}

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
  if (pretty && prettyStream) return pino(base, prettyStream());
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 1 } } });
  return pino(base, opts.destination ?? destination({ dest: 1, sync: true }));
}
