/**
 * A bounded stop for the collector's HTTP server. fastify's close (forceCloseConnections: 'idle') closes keep-alive
 * connections between requests, but Node counts a connection that opened and never sent a request as busy: close
 * waited for it to go away by itself (a scanner, a load balancer's pre-opened connection, a client that stalls, ~70 s
 * and more), well past systemd's TimeoutStopSec.
 *
 * So the server's connections are tracked with the number of requests each has in flight (from the headers in until
 * the answer is out), and on stop:
 * - a connection with no request in flight is closed at once, and one that opens while stopping too;
 * - a connection closes as soon as the last answer it owes is out (fastify answers a new request 503 while closing);
 * - past `graceMs`, every connection left is cut, so the stop is bounded whatever a client does.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionDrain {
  /** Requests whose answer is not out yet. */
  inFlight(): number;
  /** Starts the stop: idle connections close now, busy ones after their last answer, all of them after `graceMs`. */
  drain(graceMs: number): void;
  /** Clears the grace timer (the server closed before it ran out). */
  done(): void;
}

export function trackConnections(
  server: Server,
  onCut: (connections: number) => void = () => undefined,
): ConnectionDrain {
  const open = new Map<Socket, number>();
  let draining = false;
  let timer: NodeJS.Timeout | null = null;

  server.on('connection', (socket: Socket) => {
    if (draining) {
      socket.destroy();
      return;
    }
    open.set(socket, 0);
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    if (!open.has(socket)) return;
    open.set(socket, (open.get(socket) ?? 0) + 1);
    res.once('close', () => {
      if (!open.has(socket)) return;
      const left = (open.get(socket) ?? 1) - 1;
      open.set(socket, left);
      // end(), not destroy(): what was written still goes out before the FIN.
      if (draining && left === 0) socket.end();
    });
  });

  return {
    inFlight: () => [...open.values()].reduce((a, b) => a + b, 0),
    drain(graceMs) {
      if (draining) return;
      draining = true;
      for (const [socket, n] of open) if (n === 0) socket.destroy();
      timer = setTimeout(() => {
        const left = open.size;
        if (left > 0) onCut(left);
        for (const socket of open.keys()) socket.destroy();
      }, graceMs);
      timer.unref();
    },
    done() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
