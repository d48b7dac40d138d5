/** The content digests of src/protocol/record-digest.ts: a legitimate resend always matches, any other content never. */
import { describe, expect, it } from 'vitest';
import { pushDigest, recordDigest } from '../../src/protocol/record-digest.js';

const base = { seq: 7, from: 1_000, to: 2_000, rx: '123456789012345678', tx: '5', events: ['reboot', 'reset:eth0'] };

describe('recordDigest', () => {
  it('is the same however the record is written: bigint or string counts, events in any order or repeated', () => {
    const d = recordDigest(base);
    expect(recordDigest({ ...base, rx: 123456789012345678n, tx: 5n })).toBe(d);
    expect(recordDigest({ ...base, events: ['reset:eth0', 'reboot', 'reboot'] })).toBe(d);
    expect(recordDigest({ ...base, events: undefined })).toBe(recordDigest({ ...base, events: [] }));
    expect(typeof d).toBe('bigint');
    expect(d).toBe(BigInt.asIntN(64, d)); // fits the signed 64-bit column of both engines
  });

  it('differs when any canonical field differs', () => {
    const d = recordDigest(base);
    for (const other of [
      { ...base, seq: 8 },
      { ...base, from: 999 },
      { ...base, to: 2_001 },
      { ...base, rx: '123456789012345679' },
      { ...base, tx: '6' },
      { ...base, events: ['reboot'] },
      { ...base, rx: '5', tx: '123456789012345678' },
    ])
      expect(recordDigest(other)).not.toBe(d);
  });
});

describe('pushDigest', () => {
  it('ignores order, 0/0 entries and repeated users (merged), and counts the measurement time', () => {
    const d = pushDigest(
      [
        [42, 10n, 20n],
        [43, 1n, 0n],
      ],
      5_000,
    );
    expect(
      pushDigest(
        [
          [43, 1n, 0n],
          [44, 0n, 0n],
          [42, 4n, 20n],
          [42, 6n, 0n],
        ],
        5_000,
      ),
    ).toBe(d);
    expect(pushDigest([[42, 10n, 20n]], 5_000)).not.toBe(d);
    expect(
      pushDigest(
        [
          [42, 10n, 20n],
          [43, 1n, 0n],
        ],
        5_001,
      ),
    ).not.toBe(d);
    expect(
      pushDigest(
        [
          [42, 10n, 20n],
          [43, 1n, 0n],
        ],
        undefined,
      ),
    ).not.toBe(d);
  });
});
