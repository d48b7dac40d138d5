import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { baselineState } from '../../../src/agent/accounting/account-tick.js';
import { decodeState, encodeState } from '../../../src/agent/state/state-codec.js';
import { EPOCH, T0, sample, settings } from '../accounting/values.js';

const state = {
  ...baselineState(sample(T0, { eth0: [(1n << 60n) + 12_345n, 777] }), EPOCH, settings()),
  totals: { rx: '9007199254740993', tx: '1234567' },
  outbox: [{ seq: 1, from: T0, to: T0 + 60_000, rx: '9007199254740993', tx: '1234567', events: ['reboot'] }],
  nextSeq: 2,
};
const good = encodeState(state);

/** A file whose checksum is right for whatever JSON is inside (to reach the checks after the checksum). */
const withValidHash = (json: string) =>
  `{"sha256":"${createHash('sha256').update(json).digest('hex')}","state":${json}}\n`;

describe('state codec', () => {
  it('round-trips a state exactly, counters beyond 2^53 included', () => {
    expect(decodeState(good)).toEqual(state);
    expect(decodeState(good).interfaces.eth0.rx).toBe(((1n << 60n) + 12_345n).toString());
  });

  it('rejects an empty file', () => {
    expect(() => decodeState('')).toThrow('the file is empty');
  });

  it('rejects a truncated file at any cut, with a reason', () => {
    for (const cut of [5, 40, 80, good.length / 2, good.length - 3, good.length - 2]) {
      expect(() => decodeState(good.slice(0, Math.floor(cut)))).toThrow(/truncated|does not start like|checksum/);
    }
    // cut after the state's own closing brace: that brace passes for the file's, the checksum catches it
    expect(() => decodeState(good.slice(0, good.length - 2))).toThrow('the checksum does not match');
    expect(() => decodeState(good.slice(0, good.length - 40))).toThrow('the file is truncated');
  });

  it('rejects a flipped digit in a counter through the checksum', () => {
    const flipped = good.replace('"tx":"1234567"', '"tx":"1234568"');
    expect(flipped).not.toBe(good);
    expect(() => decodeState(flipped)).toThrow('the checksum does not match');
  });

  it('rejects garbage and files of another program', () => {
    expect(() => decodeState('\u0000\u0000\u0000garbage')).toThrow('does not start like a traffic-agent state file');
    expect(() => decodeState(JSON.stringify(state))).toThrow('does not start like a traffic-agent state file');
  });

  it('rejects a checksummed body that is not JSON, or not a state', () => {
    expect(() => decodeState(withValidHash('{"a":'))).toThrow('the JSON does not parse');
    expect(() => decodeState(withValidHash('{"version":1}'))).toThrow(
      /the state does not have the expected shape at \//,
    );
    const negative = JSON.stringify({ ...state, totals: { rx: '-5', tx: '0' } });
    expect(() => decodeState(withValidHash(negative))).toThrow(/expected shape at \/totals\/rx/);
  });
});
