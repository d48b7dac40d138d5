/**
 * `traffic-agent report` through the real binary: `once` on fixture /proc steps (growth, a reboot, growth), then the
 * rollups that `report --json` prints sum to the totals `status --json` prints; a state written by an agent from
 * before the rollups loads and starts them.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeState, decodeState } from '../../../src/agent/state/state-codec.js';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import { TOKEN, ensureBuilt, makeTempDir, runAgent, statusJson, writeConfig } from '../helpers/agent-cli.js';

interface Row {
  key: string;
  rx: string;
  tx: string;
  total: string;
  seconds: number;
  avgBitsPerSec: number;
}
interface ReportJson {
  since: string;
  before: { rx: string; tx: string };
  totals: { rx: string; tx: string };
  hours?: Row[];
  days?: Row[];
  months?: Row[];
  top?: Row[];
}

const sum = (rows: Row[]) =>
  rows.reduce((a, r) => ({ rx: a.rx + BigInt(r.rx), tx: a.tx + BigInt(r.tx) }), { rx: 0n, tx: 0n });

async function reportJson(cfg: string, ...flags: string[]): Promise<ReportJson> {
  const r = await runAgent(['report', '--json', '-c', cfg, ...flags]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReportJson;
}

beforeAll(() => ensureBuilt());

describe('report through the real binary', () => {
  let server: HeartbeatServer;
  let fx: ProcFixture;
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let cfg: string;
  let stateDir: string;

  beforeAll(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
    tmp = await makeTempDir('ta-report-');
    fx = await ProcFixture.create({ interfaces: { lo: { rx: 0n, tx: 0n }, eth0: { rx: 10_000n, tx: 5_000n } } });
    stateDir = join(tmp.dir, 'state');
    cfg = await writeConfig(join(tmp.dir, 'agent.json'), { url: server.url, stateDir, procRoot: fx.root });
  });
  afterAll(async () => {
    await server.close();
    await fx.remove();
    await tmp.cleanup();
  });

  const once = async () => {
    const r = await runAgent(['once', '-c', cfg]);
    expect(r.code, r.stderr).toBe(0);
  };

  it('before the first run it says there is nothing yet', async () => {
    const r = await runAgent(['report', '-c', cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('first run pending');
  });

  it('sums of hours, days, months and top days equal the totals, across a reboot', { timeout: 180_000 }, async () => {
    await once(); // baseline
    await fx.grow('eth0', 1_500_000n, 250_000n);
    await fx.grow('lo', 9_000_000n, 9_000_000n); // excluded: never in totals nor rollups
    await once();
    await fx.grow('eth0', 3n << 30n, 1n << 20n);
    await once();
    // reboot: a new boot id, counters from zero; what they show since boot counts in full
    await fx.update({
      bootId: '00000000-0000-4000-8000-0000000000b2',
      btime: 1_700_090_000,
      interfaces: { lo: { rx: 10n, tx: 10n }, eth0: { rx: 40_000n, tx: 20_000n } },
    });
    await once();
    await fx.grow('eth0', 777n, 333n);
    await once();

    const status = await statusJson(cfg);
    expect(status.detected?.reboots).toBe(1);
    const totals = { rx: BigInt(status.totals.rx), tx: BigInt(status.totals.tx) };
    expect(totals).toEqual({ rx: 1_500_000n + (3n << 30n) + 40_000n + 777n, tx: 250_000n + (1n << 20n) + 20_333n });

    const rep = await reportJson(cfg);
    expect(rep.before).toEqual({ rx: '0', tx: '0' });
    expect(rep.totals).toEqual(status.totals);
    for (const kind of ['hours', 'days', 'months', 'top'] as const) {
      expect(rep[kind]!.length, kind).toBeGreaterThan(0);
      expect(sum(rep[kind]!), kind).toEqual(totals);
      for (const row of rep[kind]!) expect(BigInt(row.total)).toBe(BigInt(row.rx) + BigInt(row.tx));
    }
    // a flag selects one table
    const days = await reportJson(cfg, '--days');
    expect(Object.keys(days).filter((k) => ['hours', 'days', 'months', 'top'].includes(k))).toEqual(['days']);
  });

  it('prints vnstat-like tables in IEC units', async () => {
    const r = await runAgent(['report', '-c', cfg, '-m']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(' node 1  /  monthly');
    expect(r.stdout).toContain('        month        rx      |     tx      |    total    |   avg. rate');
    expect(r.stdout).toMatch(/ {7}\d{4}-\d{2} +3\.00 GiB \| +1\.26 MiB \| +3\.00 GiB \| +[\d.]+ [kMG]?bit\/s\n/);
    expect(r.stdout).not.toContain('daily');
    const all = await runAgent(['report', '-c', cfg]);
    for (const t of ['hourly', 'daily', 'monthly', 'top 10']) expect(all.stdout).toContain(`/  ${t}`);
  });

  it('a state written before rollups existed loads; they start with its totals as `before`', {
    timeout: 120_000,
  }, async () => {
    // What an older agent wrote: the same state without the rollups, in both files
    const saved = decodeState(await readFile(join(stateDir, 'state.json'), 'utf8'));
    const { rollups: _new, ...old } = saved;
    const bytes = encodeState(old as typeof saved);
    await writeFile(join(stateDir, 'state.json'), bytes);
    await writeFile(join(stateDir, 'state.json.bak'), bytes);
    const r = await runAgent(['report', '-c', cfg]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('they begin at its next tick');

    await fx.grow('eth0', 5_000n, 6_000n);
    await once();
    const status = await statusJson(cfg);
    expect(status.source).toBe('primary');
    expect(status.totals).toEqual({
      rx: (BigInt(saved.totals.rx) + 5_000n).toString(),
      tx: (BigInt(saved.totals.tx) + 6_000n).toString(),
    });
    const rep = await reportJson(cfg);
    expect(rep.before).toEqual(saved.totals);
    for (const kind of ['hours', 'days', 'months', 'top'] as const)
      expect(sum(rep[kind]!)).toEqual({ rx: 5_000n, tx: 6_000n });
  });
});
