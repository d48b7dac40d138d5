/**
 * Serves the dashboard (the esbuild bundle in dist/dashboard) at `/`: index.html, app.js, app.css. The folder is
 * found relative to this module, so it works from dist/collector/routes/ (the package) and from
 * src/collector/routes/ (tests run from source, after `npm run build`). Every file is registered as its own route
 * (wildcard: false), so unknown paths still reach the app's JSON 404. No admin token here: the page holds no data,
 * it asks for the token and sends it with each API call. A strict CSP keeps the page to the collector's own origin.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export interface DashboardStaticOptions {
  /** A folder holding index.html; default: the built dashboard next to this module. */
  root?: string;
}

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** dist/dashboard seen from dist/collector/routes (../../dashboard) or from src/collector/routes (../../../dist/dashboard). */
export function findDashboardRoot(): string | undefined {
  const candidates = ['../../dashboard/', '../../../dist/dashboard/'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(`${dir}index.html`));
}

export const dashboardStatic: FastifyPluginAsync<DashboardStaticOptions> = async (app, opts) => {
  const root = opts.root ?? findDashboardRoot();
  if (!root) {
    app.log.warn('dashboard not built (no dist/dashboard/index.html): `/` is not served; run `npm run build`');
    return;
  }
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    decorateReply: false,
    // Never a source map, even one left in the folder by a development build.
    allowedPath: (path: string) => !path.endsWith('.map'),
  });
};
