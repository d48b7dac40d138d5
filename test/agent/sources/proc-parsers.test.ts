/** The pure /proc parsers on literal text, as the kernel prints it and as it should never be. */
import { describe, expect, it } from 'vitest';
import { parseBootId, parseStatBtime, parseUptime } from '../../../src/agent/sources/boot.js';
import { parseLoadavg } from '../../../src/agent/sources/loadavg.js';

describe('/proc parsers', () => {
  it('loadavg: the three averages; anything else is a clear PROC_MALFORMED', () => {
    expect(parseLoadavg('0.12 0.34 0.56 1/234 5678\n')).toEqual([0.12, 0.34, 0.56]);
    expect(() => parseLoadavg('0.12 0.34\n')).toThrow(/loadavg: expected three non-negative numbers/);
    expect(() => parseLoadavg('a b c 1/2 3')).toThrow(expect.objectContaining({ code: 'PROC_MALFORMED' }));
    expect(() => parseLoadavg('')).toThrow(/loadavg/);
  });

  it('stat: btime from its own line, null without one', () => {
    expect(parseStatBtime('cpu  1 2 3 4\nintr 0\nbtime 1700000123\nprocesses 9\n')).toBe(1_700_000_123);
    expect(parseStatBtime('cpu  1 2 3 4\nprocesses 9\n')).toBeNull();
    expect(parseStatBtime('btime x\n')).toBeNull();
  });

  it('boot_id: a UUID, lower-cased; anything else is no boot id', () => {
    expect(parseBootId('D9026360-68C2-447A-A50B-35DE86EF295D\n')).toBe('d9026360-68c2-447a-a50b-35de86ef295d');
    expect(parseBootId('not-a-uuid\n')).toBeNull();
    expect(parseBootId('')).toBeNull();
  });

  it('uptime: the first field in seconds; a non-number is PROC_MALFORMED', () => {
    expect(parseUptime('6398.81 12000.50\n')).toBe(6398.81);
    expect(() => parseUptime('soon\n')).toThrow(expect.objectContaining({ code: 'PROC_MALFORMED' }));
  });
});

describe('/proc/net/dev parser', () => {
  const head =
    'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  const line = (name: string, rx: string, tx: string) => `${name}: ${rx} 7 0 0 0 0 0 0 ${tx} 9 0 0 0 0 0 0\n`;

  it('reads bytes and packets exactly, up to 2^64-1, and splits a name on its last colon', async () => {
    const { parseNetDev } = await import('../../../src/agent/sources/net-dev.js');
    const r = parseNetDev(head + line('  eth0', '18446744073709551615', '9007199254740993') + line('eth0:1', '5', '6'));
    expect(r.problems).toEqual([]);
    expect(r.interfaces.get('eth0')).toEqual({
      rxBytes: 18_446_744_073_709_551_615n,
      rxPackets: 7n,
      txBytes: 9_007_199_254_740_993n,
      txPackets: 9n,
    });
    expect(r.interfaces.get('eth0:1')?.txBytes).toBe(6n);
  });

  it('skips and names a malformed line, keeping the rest', async () => {
    const { parseNetDev } = await import('../../../src/agent/sources/net-dev.js');
    const r = parseNetDev(
      head +
        line('eth0', '1', '2') +
        'eth1: 1 2 3\n' +
        line('eth2', '18446744073709551616', '0') +
        'garbage\n' +
        line('eth0', '9', '9'),
    );
    expect([...r.interfaces.keys()]).toEqual(['eth0']);
    expect(r.interfaces.get('eth0')?.rxBytes).toBe(1n);
    expect(r.problems).toHaveLength(4);
    expect(r.problems[0]).toMatch(/eth1.*expected 16 counters, found 3/);
    expect(r.problems[1]).toMatch(/eth2.*field 1 is not an unsigned 64-bit integer/);
    expect(r.problems[2]).toMatch(/no "name:" prefix/);
    expect(r.problems[3]).toMatch(/eth0.*listed twice/);
  });

  it('takes any 20 digits up to 2^64-1, leading zeros too, and refuses every one above it', async () => {
    const { parseNetDev } = await import('../../../src/agent/sources/net-dev.js');
    const r = parseNetDev(
      head +
        line('a', '00000000000000000007', '18446744073709551614') +
        line('b', '18446744073709551620', '0') +
        line('c', '0', '99999999999999999999') +
        line('d', '28446744073709551615', '0') +
        line('e', '1', '184467440737095516150'),
    );
    expect(r.interfaces.get('a')).toMatchObject({ rxBytes: 7n, txBytes: 18_446_744_073_709_551_614n });
    expect([...r.interfaces.keys()]).toEqual(['a']);
    expect(r.problems).toEqual([
      expect.stringMatching(/\(b\): field 1 is not an unsigned 64-bit integer: "18446744073709551620"/),
      expect.stringMatching(/\(c\): field 9 is not/),
      expect.stringMatching(/\(d\): field 1 is not/),
      expect.stringMatching(/\(e\): field 9 is not/),
    ]);
  });
});
