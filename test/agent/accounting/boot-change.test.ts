import { describe, expect, it } from 'vitest';
import { bootChange } from '../../../src/agent/accounting/boot-change.js';
import { BOOT_A, BOOT_B } from './values.js';

describe('bootChange', () => {
  it('the boot id decides when both samples have one, whatever btime does', () => {
    expect(bootChange({ bootId: BOOT_A, btime: 1000 }, { bootId: BOOT_A, btime: 999_999 })).toBe('same');
    expect(bootChange({ bootId: BOOT_A, btime: 1000 }, { bootId: BOOT_B, btime: 1000 })).toBe('rebooted');
  });

  it('without a boot id, btime decides beyond the tolerance', () => {
    expect(bootChange({ bootId: null, btime: 1000 }, { bootId: null, btime: 1010 })).toBe('same');
    expect(bootChange({ bootId: null, btime: 1000 }, { bootId: null, btime: 990 })).toBe('same');
    expect(bootChange({ bootId: null, btime: 1000 }, { bootId: null, btime: 1011 })).toBe('rebooted');
    expect(bootChange({ bootId: BOOT_A, btime: 1000 }, { bootId: null, btime: 5000 })).toBe('rebooted');
  });

  it('with nothing to compare, assumes the same boot', () => {
    expect(bootChange({ bootId: null, btime: null }, { bootId: null, btime: 5 })).toBe('same');
  });
});
