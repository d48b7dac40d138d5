/**
 * Node authentication of the Xboard-compatible routes: `token` and `node_id` (and optional `node_type`) from the
 * query string or the JSON body; the token may also come as `Authorization: Bearer`. Accepted: the configured global
 * serverToken (as the panel does), or the node's own token. Answers as the panel: 422 Invalid token, 400 Server does
 * not exist. The node's stored hash is always compared (against a dummy when the node is unknown).
 *
 * Two steps, so that no body of an unauthenticated caller is ever read beyond a small size:
 * - panelPreAuth (onRequest, before the body): a token in the query or the Authorization header must be the
 *   serverToken or some node's token, or the request is refused there. Without one, only a body of at most
 *   BODY_CREDENTIALS_MAX_BYTES (declared by Content-Length) may carry the credentials; a bigger or unsized body is
 *   refused, with a message saying to send them in the query string or the Authorization header.
 * - panelAuth (in the handler, with the body's fields): resolves node_id/node_type and checks the token against that
 *   node, as the panel does.
 * Valid credentials are always served; failures are counted per client address (auth-failure.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NODE_TYPE_ALIASES, NODE_TYPES } from '../../protocol/uniproxy.js';
import type { AppContext } from '../context.js';
import type { PanelBody } from '../panel-body.js';
import type { NodeInfo } from '../store/store.js';
import { bearerToken, hashMatches, hashToken } from '../tokens.js';
import { throttleFailure } from './auth-failure.js';
import { PANEL, PanelError } from './panel-errors.js';

/** The largest body that may carry `token`/`node_id` itself; bigger bodies authenticate by query or header. */
export const BODY_CREDENTIALS_MAX_BYTES = 65_536;

type Fields = PanelBody['fields'];

function field(req: FastifyRequest, body: Fields | undefined, name: keyof Fields): string | undefined {
  const q = (req.query as Record<string, unknown> | undefined)?.[name];
  if (typeof q === 'string' && q !== '') return q;
  const b = body?.[name];
  if (typeof b === 'string' && b !== '') return b;
  if (typeof b === 'number' && Number.isFinite(b)) return String(b);
  return undefined;
}

/** The token from the query or the Authorization header (what can be checked before the body). */
function headToken(req: FastifyRequest): string | undefined {
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  if (typeof q === 'string' && q !== '') return q;
  return bearerToken(req.headers.authorization);
}

function refuse(ctx: AppContext, req: FastifyRequest, reply: FastifyReply, e: typeof PANEL.invalidToken): PanelError {
  return PanelError.of(throttleFailure(ctx, req, reply) ? PANEL.throttled : e);
}

async function isKnownToken(ctx: AppContext, token: string): Promise<boolean> {
  const hash = hashToken(token);
  if (ctx.config.serverToken !== undefined && hashMatches(hash, hashToken(ctx.config.serverToken))) return true;
  const found = await ctx.store.findNodeByTokenHash(hash);
  return hashMatches(hash, found?.tokenHash);
}

/** onRequest hook of every panel route: refuses what can be refused before a byte of the body is read. */
export function panelPreAuth(ctx: AppContext) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = headToken(req);
    if (token !== undefined) {
      if (await isKnownToken(ctx, token)) return;
      throw refuse(ctx, req, reply, PANEL.invalidToken);
    }
    if (req.method === 'GET' || req.method === 'HEAD') throw refuse(ctx, req, reply, PANEL.invalidToken);
    const length = Number(req.headers['content-length']);
    if (req.headers['content-length'] !== undefined && length <= BODY_CREDENTIALS_MAX_BYTES) return;
    throw refuse(ctx, req, reply, PANEL.credentialsNotInBody);
  };
}

export async function panelAuth(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  body: Fields | undefined,
): Promise<NodeInfo> {
  const token = field(req, body, 'token') ?? bearerToken(req.headers.authorization) ?? '';
  const rawId = field(req, body, 'node_id') ?? '';
  const rawType = field(req, body, 'node_type');
  const hash = hashToken(token);
  const id = /^[1-9]\d{0,9}$/.test(rawId) ? Number(rawId) : 0;
  const auth = id > 0 && id <= 2_147_483_647 ? await ctx.store.getNodeAuth(id) : undefined;
  const nodeOk = hashMatches(hash, auth?.tokenHash);
  const globalOk = ctx.config.serverToken !== undefined && hashMatches(hash, hashToken(ctx.config.serverToken));
  const type = rawType === undefined ? undefined : (NODE_TYPE_ALIASES[rawType] ?? rawType);
  const typeOk = type === undefined || NODE_TYPES.includes(type);

  if (nodeOk || globalOk) {
    if (!auth || !typeOk) throw PanelError.of(PANEL.noServer);
    return auth.node;
  }
  // A token that is some other node's own: the caller is a node, so say which part is wrong as the panel would.
  const other = token ? await ctx.store.findNodeByTokenHash(hash) : undefined;
  if (other && (!auth || !typeOk)) throw PanelError.of(PANEL.noServer);
  throw refuse(ctx, req, reply, PANEL.invalidToken);
}
