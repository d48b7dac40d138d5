/** The refresh loop (plain timers, no DOM): cadence, failures reported and retried, a stop during a tick. */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { LiveLoop } from '../../src/dashboard/web/live.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function loop(tick: () => Promise<void>) {
  const events: string[] = [];
  const l = new LiveLoop({
    tick,
    intervalMs: () => 1000,
    onOk: () => events.push('ok'),
    onError: (e) => events.push(`error:${(e as Error).message}`),
  });
  return { l, events };
}

it('ticks now and then every interval, reporting failures and carrying on', async () => {
  let n = 0;
  const { l, events } = loop(async () => {
    n++;
    if (n === 2) throw new Error('down');
  });
  l.start();
  await vi.advanceTimersByTimeAsync(0);
  expect(events).toEqual(['ok']);
  await vi.advanceTimersByTimeAsync(1000);
  expect(events).toEqual(['ok', 'error:down']);
  await vi.advanceTimersByTimeAsync(1000);
  expect(events).toEqual(['ok', 'error:down', 'ok']);
  l.stop();
  await vi.advanceTimersByTimeAsync(5000);
  expect(n).toBe(3);
});

it('a tick in flight when the loop stops neither reports nor schedules another; a restart runs one loop', async () => {
  let release!: () => void;
  let calls = 0;
  const { l, events } = loop(() => {
    calls++;
    return calls === 1
      ? new Promise<void>((r) => {
          release = r;
        })
      : Promise.resolve();
  });
  l.start();
  l.stop();
  release();
  await vi.advanceTimersByTimeAsync(3000);
  expect(events).toEqual([]);
  expect(calls).toBe(1);
  l.start();
  await vi.advanceTimersByTimeAsync(2500);
  expect(calls).toBe(4); // now, +1 s, +2 s: one loop, not two
  expect(events).toEqual(['ok', 'ok', 'ok']);
  l.stop();
});
