/** A state directory removed under a running agent is made again on the next save, not a failure until restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oneInterfaceState } from './one-interface-state.js';
import { StateStore } from '../../../src/agent/state/state-store.js';

describe('StateStore.save', () => {
  it('recreates a state directory that was removed while running', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'state-removed-'));
    const store = new StateStore(join(parent, 'state'));
    expect((await store.load(Date.now())).source).toBe('none');
    const state = oneInterfaceState();
    await store.save(state);
    rmSync(join(parent, 'state'), { recursive: true });
    await store.save({ ...state, nextSeq: 7 });
    const loaded = await store.load(Date.now());
    expect(loaded.source).toBe('primary');
    expect(loaded.state?.nextSeq).toBe(7);
    rmSync(parent, { recursive: true, force: true });
  });
});
