/**
 * The optional /metrics endpoint (`metrics.listen`, off by default). A plain node:http server: one route, no
 * framework needed. Restarted on SIGHUP when the address changed.
 */
import { createServer, type Server } from 'node:http';
import type { AgentProcess } from '../daemon/agent-process.js';
import { withCode } from '../errors.js';
import { errorMessage } from '../../common/error-message.js';

function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) };
}

export async function serveMetrics(proc: AgentProcess, listen: string): Promise<Server> {
  // prom-client is loaded only when metrics.listen is set.
  const { agentRegistry } = await import('./agent-metrics.js');
  const registry = agentRegistry(proc);
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  const { host, port } = splitHostPort(listen);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

let current: { server: Server; listen: string } | null = null;

async function closeCurrent(): Promise<void> {
  if (!current) return;
  const { server } = current;
  current = null;
  await new Promise<void>((r) => server.close(() => r()));
}

/** DaemonHooks.onStart / onReload: (re)starts the endpoint so it matches metrics.listen. */
export async function startAgentMetrics(proc: AgentProcess): Promise<void> {
  const listen = proc.cfg.metrics.listen;
  if (current?.listen === listen) return;
  await closeCurrent();
  if (!listen) return;
  try {
    current = { server: await serveMetrics(proc, listen), listen };
    proc.logger.info({ event: 'metrics', listen }, `metrics on http://${listen}/metrics`);
  } catch (err) {
    proc.logger.error(
      withCode('METRICS_LISTEN_FAILED', { listen, err: errorMessage(err) }),
      `cannot serve metrics on ${listen}`,
    );
  }
}

export const stopAgentMetrics = closeCurrent;
