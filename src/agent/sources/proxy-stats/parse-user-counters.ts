/**
 * Pure: turns the core's counters into per-user upload/download totals.
 *
 * A per-user counter is named `user>>>EMAIL>>>traffic>>>uplink` (or `…>>>downlink`). The user id is taken out of
 * EMAIL with a regular expression: its named group `id` if it has one, else its first capture group.
 * - default `^(\d+)$`: the email is the panel's numeric user id;
 * - XrayR / V2bX style `tag|uuid@v2board.user|123`: `\|(\d+)$`.
 * Emails that give the same id are summed. Counters that are not per-user traffic, whose email does not match,
 * or whose value is negative are listed in `skipped` and counted nowhere.
 */
export const DEFAULT_EMAIL_PATTERN = '^(\\d+)$';

export interface UserTraffic {
  up: bigint;
  down: bigint;
}

export interface ParsedUserCounters {
  users: Map<string, UserTraffic>;
  skipped: string[];
}

const PREFIX = 'user>>>';
const UPLINK = '>>>traffic>>>uplink';
const DOWNLINK = '>>>traffic>>>downlink';

/**
 * Compiles and checks an email pattern: it must have a capture group. A RegExp's g and y flags are dropped
 * (they would make matching depend on the previous match).
 */
export function compileEmailPattern(pattern: RegExp | string = DEFAULT_EMAIL_PATTERN): RegExp {
  let re: RegExp;
  try {
    re =
      typeof pattern === 'string'
        ? new RegExp(pattern)
        : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  } catch (error) {
    throw new SyntaxError(`email pattern ${JSON.stringify(String(pattern))} is not a valid regular expression`, {
      cause: error,
    });
  }
  // A pattern with at least one group matches the empty alternative `|` with that many groups.
  // biome-ignore lint/style/noNonNullAssertion: a pattern with an empty alternative always matches ''
  const groups = new RegExp(`${re.source}|`, re.flags).exec('')!.length - 1;
  if (groups < 1) {
    throw new SyntaxError(`email pattern ${JSON.stringify(re.source)} has no capture group for the user id`);
  }
  return re;
}

function userIdOf(email: string, re: RegExp): string | undefined {
  const match = re.exec(email);
  if (!match) return undefined;
  const id = match.groups && 'id' in match.groups ? match.groups['id'] : match[1];
  return id === undefined || id === '' ? undefined : id;
}

function splitName(name: string): { email: string; direction: 'up' | 'down' } | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const direction = name.endsWith(UPLINK) ? 'up' : name.endsWith(DOWNLINK) ? 'down' : undefined;
  if (!direction) return undefined;
  const email = name.slice(PREFIX.length, name.length - (direction === 'up' ? UPLINK : DOWNLINK).length);
  return email === '' ? undefined : { email, direction };
}

export function parseUserCounters(
  counters: ReadonlyMap<string, bigint>,
  emailPattern: RegExp | string = DEFAULT_EMAIL_PATTERN,
): ParsedUserCounters {
  const re = compileEmailPattern(emailPattern);
  const users = new Map<string, UserTraffic>();
  const skipped: string[] = [];
  for (const [name, value] of counters) {
    const parts = splitName(name);
    const id = parts && value >= 0n ? userIdOf(parts.email, re) : undefined;
    if (!parts || id === undefined) {
      skipped.push(name);
      continue;
    }
    let totals = users.get(id);
    if (!totals) {
      totals = { up: 0n, down: 0n };
      users.set(id, totals);
    }
    totals[parts.direction] += value;
  }
  return { users, skipped };
}
