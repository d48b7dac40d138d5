/** A state directory removed under a running agent is made again on the next save, not a failure until restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineState } from '../../../src/agent/accounting/account-tick.js';
import { StateStore } from '../../../src/agent/state/state-store.js';

describe('StateStore.save', () => {
  it('recreates a state directory that was removed while running', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'state-removed-'));
    const store = new StateStore(join(parent, 'state'));
    expect((await store.load(Date.now())).source).toBe('none');
    const state = baselineState(
      {
        at: Date.now(),
        uptimeSec: 10,
        boot: { bootId: null, btime: 1 },
        interfaces: new Map([['eth0', { rxBytes: 5n, txBytes: 6n }]]),
      },
      '0123456789abcdef',
      { isSelected: () => true, bits: 64, maxBytesPerSec: 1n, resetDay: 1, timeZone: 'UTC', userIdOf: () => null },
    );
    await store.save(state);
    rmSync(join(parent, 'state'), { recursive: true });
    await store.save({ ...state, nextSeq: 7 });
    const loaded = await store.load(Date.now());
    expect(loaded.source).toBe('primary');
    expect(loaded.state?.nextSeq).toBe(7);
    rmSync(parent, { recursive: true, force: true });
  });
});
