/**
 * The V2Board / Xboard "UniProxy" push contract (see shared/reference/xboard-contract.md), as our agent sends it to
 * our collector or to a real panel, and as our collector accepts it from any backend.
 *
 * Our agent adds two headers that a panel ignores and our collector honours:
 * - Idempotency-Key: "<nodeId>:<epoch>:<seq>" of the outbox record; a key already applied is acknowledged, not applied again.
 * - X-Traffic-Measured-At: the record's end time (unix ms) so the per-user day is the day the node measured it.
 */

export const UNIPROXY_PREFIX = '/api/v1/server/UniProxy';
export const UNIPROXY_PUSH_PATH = `${UNIPROXY_PREFIX}/push`;
export const UNIPROXY_USER_PATH = `${UNIPROXY_PREFIX}/user`;
export const SERVER_REPORT_V2_PATH = '/api/v2/server/report';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/**
 * Users in one push, by default, on both sides: the collector refuses a bigger push (maxUsersPerPush, 413) and the
 * agent splits a tick's users into records of at most this many (userTraffic.maxUsersPerPush).
 */
export const DEFAULT_MAX_USERS_PER_PUSH = 100_000;
export const MEASURED_AT_HEADER = 'x-traffic-measured-at';

/** node_type aliases the panels accept. */
export const NODE_TYPE_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  v2ray: 'vmess',
  hysteria2: 'hysteria',
});
export const NODE_TYPES = Object.freeze([
  'vmess',
  'vless',
  'trojan',
  'shadowsocks',
  'hysteria',
  'tuic',
  'anytls',
  'socks',
  'naive',
  'http',
  'mieru',
  'v2node',
]);

export function idempotencyKey(nodeId: number, epoch: string, seq: number): string {
  return `${nodeId}:${epoch}:${seq}`;
}

const KEY_RE = /^(\d{1,10}):([0-9a-f]{16}):(\d{1,16})$/;

/**
 * The parts of a key idempotencyKey() made, or undefined for any other text (another backend's key). Our agents push
 * in ascending seq within an epoch, so a seq at or below the highest applied one is a resend (or a conflict).
 */
export function parseIdempotencyKey(key: string): { nodeId: number; epoch: string; seq: number } | undefined {
  const m = KEY_RE.exec(key);
  if (!m) return undefined;
  const seq = Number(m[3]);
  return Number.isSafeInteger(seq) ? { nodeId: Number(m[1]), epoch: m[2], seq } : undefined;
}

const DIGITS = /^(0|[1-9][0-9]*)$/;

/**
 * The push body's JSON text, with each count written as its exact decimal digits: a JSON integer of any size, which
 * the panel's PHP reads as an integer and our collector reads exactly. (Number() would round above 2^53.)
 */
export function pushBodyText(users: Readonly<Record<string, readonly [string, string]>>): string {
  const parts: string[] = [];
  for (const [uid, [up, down]] of Object.entries(users)) {
    if (!DIGITS.test(up) || !DIGITS.test(down))
      throw new RangeError(`push for user ${uid}: counts must be decimal digits`);
    parts.push(`${JSON.stringify(uid)}:[${up},${down}]`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * Reads a push body's JSON text keeping integers of 16 digits or more exact: inside arrays they are turned into
 * decimal strings before JSON.parse, which would otherwise round them to the nearest double.
 */
export function parsePushBodyText(text: string): unknown {
  return JSON.parse(text.replace(/([[,]\s*)(\d{16,})(?=\s*[\],])/g, '$1"$2"'));
}
