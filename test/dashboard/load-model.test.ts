/** The load chart's normaliser (src/dashboard/web/load-model.ts) fed with answers shaped by the route's own schema. */
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { LoadHistory } from '../../src/collector/routes/load.js';
import { pointCount, toLoadView } from '../../src/dashboard/web/load-model.js';

const MIN = 60_000;
const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 15, 12);

function answer(body: LoadHistory): unknown {
  expect(Value.Check(LoadHistory, body)).toBe(true);
  return JSON.parse(JSON.stringify(body));
}

describe('toLoadView', () => {
  it('turns raw samples into uPlot columns in seconds, with a break where samples stop for over 5 minutes', () => {
    const v = toLoadView(
      answer({
        nodeId: 1,
        window: '24h',
        resolution: 'raw',
        from: T0 - 24 * H,
        to: T0,
        points: [
          { at: T0 - 3 * MIN, load: [1, 2, 3] },
          { at: T0 - 2 * MIN, load: [1.5, 2, 3] },
          // 20 minutes without a sample: the node was offline.
          { at: T0 + 18 * MIN, load: [0.5, 1, 2] },
        ],
      }),
    );
    expect(v.resolution).toBe('raw');
    expect(v.at).toEqual([
      (T0 - 3 * MIN) / 1000,
      (T0 - 2 * MIN) / 1000,
      (T0 - 2 * MIN) / 1000 + 150,
      (T0 + 18 * MIN) / 1000,
    ]);
    expect(v.load1).toEqual([1, 1.5, null, 0.5]);
    expect(v.load5).toEqual([2, 2, null, 1]);
    expect(v.load15).toEqual([3, 3, null, 2]);
    expect(v.peak1).toBeNull();
    expect(pointCount(v)).toBe(3);
  });

  it('reads hourly points with the peak of load 1, and a missing hour as a break', () => {
    const hour = (at: number, avg: number, max: number) => ({
      at,
      load: [avg, avg, avg] as [number, number, number],
      samples: 60,
      min: [0, 0, 0] as [number, number, number],
      max: [max, max / 2, max / 4] as [number, number, number],
    });
    const v = toLoadView(
      answer({
        nodeId: 1,
        window: '7d',
        resolution: 'hour',
        from: T0 - 168 * H,
        to: T0,
        points: [hour(T0 - 4 * H, 1, 4), hour(T0 - 3 * H, 2, 5), hour(T0 - H, 3, 6)],
      }),
    );
    expect(v.resolution).toBe('hour');
    expect(v.load1).toEqual([1, 2, null, 3]);
    expect(v.peak1).toEqual([4, 5, null, 6]);
    expect(pointCount(v)).toBe(3);
  });

  it('skips malformed points and survives an empty or broken body', () => {
    const v = toLoadView({
      resolution: 'raw',
      points: [{ at: 'x', load: [1, 2, 3] }, { at: T0, load: [1, 2] }, { at: T0, load: [1, 2, 3] }, null],
    });
    expect(v.load1).toEqual([1]);
    expect(pointCount(toLoadView(null))).toBe(0);
    expect(toLoadView({ points: 'nope' }).at).toEqual([]);
  });
});
