import { describe, expect, it } from 'vitest';
import { compileEmailPattern, parseUserCounters } from '../../../src/agent/sources/proxy-stats/parse-user-counters.js';

const up = (email: string) => `user>>>${email}>>>traffic>>>uplink`;
const down = (email: string) => `user>>>${email}>>>traffic>>>downlink`;

describe('parseUserCounters', () => {
  it('maps numeric emails to user ids with the default pattern', () => {
    const { users, skipped } = parseUserCounters(
      new Map([
        [up('1'), 100n],
        [down('1'), 2000n],
        [down('42'), 7n],
      ]),
    );
    expect([...users]).toEqual([
      ['1', { up: 100n, down: 2000n }],
      ['42', { up: 0n, down: 7n }],
    ]);
    expect(skipped).toEqual([]);
  });

  it('keeps values above 2^53 exact and sums emails that give the same id', () => {
    const big = 2n ** 53n + 1n; // 9007199254740993, not representable as a double
    const { users } = parseUserCounters(
      new Map([
        [down('vmess-in|a@v2board.user|7'), big],
        [down('trojan-in|b@v2board.user|7'), big],
        [up('vmess-in|a@v2board.user|7'), 18446744073709551615n - big],
      ]),
      /\|(\d+)$/,
    );
    expect(users.get('7')).toEqual({ up: 18437736874454810622n, down: 18014398509481986n });
    expect(users.size).toBe(1);
  });

  it('takes the named group "id" before the first group', () => {
    const { users } = parseUserCounters(new Map([[up('node3-user-15'), 9n]]), '^(node\\d+)-user-(?<id>\\d+)$');
    expect([...users.keys()]).toEqual(['15']);
  });

  it('skips names that are not per-user traffic, emails that do not match and negative values', () => {
    const names = [
      'inbound>>>user>>>traffic>>>uplink', // an inbound tagged "user" also matches the substring "user>>>"
      'user>>>1>>>traffic>>>sideways',
      'user>>>>>>traffic>>>uplink', // empty email
      up('alice@example.com'), // not numeric under the default pattern
      up('1x'),
      down('5'),
    ];
    const counters = new Map(names.map((name, i) => [name, i === 5 ? -1n : 10n]));
    const { users, skipped } = parseUserCounters(counters);
    expect(users.size).toBe(0);
    expect(skipped).toEqual(names);
  });

  it('reads an email that itself contains ">>>" up to the traffic suffix', () => {
    const { users } = parseUserCounters(new Map([[down('a>>>b|9'), 5n]]), /^.*\|(\d+)$/);
    expect(users.get('9')).toEqual({ up: 0n, down: 5n });
  });

  it('is not affected by a global RegExp remembering its last match', () => {
    const { users } = parseUserCounters(
      new Map([
        [up('1'), 1n],
        [up('2'), 2n],
      ]),
      /^(\d+)$/g,
    );
    expect([...users.keys()]).toEqual(['1', '2']);
  });
});

describe('compileEmailPattern', () => {
  it('rejects a pattern without a capture group, naming it', () => {
    expect(() => compileEmailPattern('^\\d+$')).toThrow(/"\^\\\\d\+\$" has no capture group/);
    expect(() => compileEmailPattern('^(?:\\d+)$')).toThrow(/no capture group/);
  });

  it('rejects an invalid regular expression, naming it', () => {
    expect(() => compileEmailPattern('(')).toThrow(/"\(" is not a valid regular expression/);
  });

  it('accepts the default and XrayR-style patterns', () => {
    expect(compileEmailPattern().exec('123')?.[1]).toBe('123');
    expect(compileEmailPattern('\\|(\\d+)$').exec('tag|uuid@v2board.user|123')?.[1]).toBe('123');
  });
});
