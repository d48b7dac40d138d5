/**
 * Node authentication of the Xboard-compatible routes: `token` and `node_id` (and optional `node_type`) from the
 * query string or the JSON body; the token may also come as `Authorization: Bearer`. Accepted: the configured global
 * serverToken (as the panel does), or the node's own token. Answers as the panel: 422 Invalid token, 400 Server does
 * not exist. The node's stored hash is always compared (against a dummy when the node is unknown).
 */
import type { FastifyRequest } from 'fastify';
import { NODE_TYPE_ALIASES, NODE_TYPES } from '../../protocol/uniproxy.js';
import type { AppContext } from '../context.js';
import type { NodeInfo } from '../store/store.js';
import { bearerToken, hashMatches, hashToken } from '../tokens.js';
import { PANEL, PanelError } from './panel-errors.js';

function field(req: FastifyRequest, body: unknown, name: string): string | undefined {
  const q = (req.query as Record<string, unknown> | undefined)?.[name];
  if (typeof q === 'string' && q !== '') return q;
  if (typeof q === 'number') return String(q);
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = (body as Record<string, unknown>)[name];
    if (typeof b === 'string' && b !== '') return b;
    if (typeof b === 'number' && Number.isFinite(b)) return String(b);
  }
  return undefined;
}

export async function panelAuth(ctx: AppContext, req: FastifyRequest, body: unknown): Promise<NodeInfo> {
  if (ctx.limiter.blocked(req.ip)) throw PanelError.of(PANEL.throttled);
  const token = field(req, body, 'token') ?? bearerToken(req.headers.authorization) ?? '';
  const rawId = field(req, body, 'node_id') ?? '';
  const rawType = field(req, body, 'node_type');
  const hash = hashToken(token);
  const id = /^\d{1,10}$/.test(rawId) ? Number(rawId) : 0;
  const auth = id > 0 && id <= 2_147_483_647 ? await ctx.store.getNodeAuth(id) : undefined;
  const nodeOk = hashMatches(hash, auth?.tokenHash);
  const globalOk = ctx.config.serverToken !== undefined && hashMatches(hash, hashToken(ctx.config.serverToken));
  const type = rawType === undefined ? undefined : (NODE_TYPE_ALIASES[rawType] ?? rawType);
  const typeOk = type === undefined || NODE_TYPES.includes(type);

  if (nodeOk || globalOk) {
    if (!auth || !typeOk) throw PanelError.of(PANEL.noServer);
    return auth.node;
  }
  ctx.limiter.fail(req.ip);
  // A token that is some other node's own: the caller is a node, so say which part is wrong as the panel would.
  const other = token ? await ctx.store.findNodeByTokenHash(hash) : undefined;
  if (other && (!auth || !typeOk)) throw PanelError.of(PANEL.noServer);
  throw PanelError.of(PANEL.invalidToken);
}
