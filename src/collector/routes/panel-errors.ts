/** The Xboard panel's own response bodies (shared/reference/xboard-contract.md), used only on the panel-compatible routes. */
export const PANEL = Object.freeze({
  success: (data: unknown = true) => ({ status: 'success', message: '操作成功', data, error: null }),
  invalidToken: { status: 422, body: { message: 'Invalid token', errors: { token: ['Invalid token'] } } },
  noServer: { status: 400, body: { status: 'fail', message: 'Server does not exist', data: null, error: null } },
  badData: {
    status: 422,
    body: { message: 'Invalid data format', errors: { data: ['The push body must be a JSON object'] } },
  },
  countTooLarge: {
    status: 422,
    body: {
      message: 'Invalid data format',
      errors: { data: ['A count (after the node rate) is above 2^63-1, the largest stored'] },
    },
  },
  badKey: {
    status: 422,
    body: {
      message: 'Invalid Idempotency-Key',
      errors: { 'Idempotency-Key': ['must be <nodeId>:<epoch>:<seq> of this node'] },
    },
  },
  credentialsNotInBody: {
    status: 422,
    body: {
      message: 'Invalid token',
      errors: {
        token: [
          'A body over 65536 bytes (or without Content-Length) is not read before authentication: send token and node_id in the query string or the Authorization header',
        ],
      },
    },
  },
  tooLarge: { status: 413, body: { message: 'Payload Too Large', errors: {} } },
  tooManyUsers: (max: number) => ({
    status: 413,
    body: {
      message: 'Payload Too Large',
      errors: { data: [`a push holds at most ${max} users (maxUsersPerPush); split it into several pushes`] },
    },
  }),
  throttled: { status: 429, body: { message: 'Too Many Attempts.' } },
});

export class PanelError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: unknown,
  ) {
    super(
      typeof body === 'object' && body && 'message' in body
        ? String((body as { message: unknown }).message)
        : 'panel error',
    );
  }
  static of(e: { status: number; body: unknown }): PanelError {
    return new PanelError(e.status, e.body);
  }
}
