/**
 * A real AF_UNIX datagram listener (python3: Node has no unix datagram sockets) standing in for systemd's
 * $NOTIFY_SOCKET. startListener(dir) binds dir/notify.sock; next() resolves with the next datagram's text.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

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

export interface Listener {
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

export async function startListener(dir: string): Promise<Listener> {
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
