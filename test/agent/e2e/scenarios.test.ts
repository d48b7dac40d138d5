/**
 * Every scenario under test/fixtures/proc, through the real `once` command and a real HTTP collector stand-in:
 * the deduplicated sum the collector holds, and `status --json`, equal the scenario's hand-computed ground truth.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer, type ServerMode } from '../../support/heartbeat-server.js';
import { REPO, TOKEN, ensureBuilt, makeTempDir, runAgent, statusJson, writeConfig } from '../helpers/agent-cli.js';

interface Scenario {
  description: string;
  config: { counterBits: 32 | 64; maxRateBitsPerSec?: number; include?: string[]; exclude?: string[] };
  steps: { tree: string; collector: ServerMode; note: string }[];
  expected: { rx: string; tx: string; detected: { reboots: number; resets: number; wraps: number } };
}

const FIXTURES = join(REPO, 'test', 'fixtures', 'proc');
const scenarios = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

beforeAll(() => ensureBuilt());

describe('fixture scenarios through `once`', () => {
  let server: HeartbeatServer;
  beforeAll(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
  });
  afterAll(async () => {
    await server.close();
  });

  it('every scenario names steps whose /proc trees exist, and expects what its steps can show', () => {
    expect(scenarios.length).toBeGreaterThan(0);
    for (const name of scenarios) {
      const sc = JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Scenario;
      expect(sc.steps.length, name).toBeGreaterThanOrEqual(2);
      for (const step of sc.steps) expect(existsSync(join(FIXTURES, name, step.tree, 'net', 'dev')), name).toBe(true);
      expect(BigInt(sc.expected.rx) + BigInt(sc.expected.tx), `${name} expects some traffic`).toBeGreaterThan(0n);
    }
  });

  for (const name of scenarios) {
    it(`${name}: delivered sum and status totals equal the ground truth`, async () => {
      const sc = JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Scenario;
      const tmp = await makeTempDir(`ta-${name}-`);
      // a fresh collector per scenario: its sums are this scenario's alone
      await server.close();
      server = await startHeartbeatServer({ token: TOKEN });
      try {
        const cfg = join(tmp.dir, 'agent.json');
        const stateDir = join(tmp.dir, 'state');
        let before = server.sums();
        for (const step of sc.steps) {
          await server.setMode(step.collector);
          await writeConfig(cfg, {
            url: server.url,
            stateDir,
            procRoot: join(FIXTURES, name, step.tree),
            ...sc.config,
            timeoutMs: 2000,
          });
          const r = await runAgent(['once', '-c', cfg]);
          expect(r.code, `${step.tree} (${step.note}): ${r.stderr}`).toBe(0);
          expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
          const after = server.sums();
          if (step.collector === 'refuse' || step.collector === 'error') expect(after).toEqual(before);
          before = after;
        }
        await server.setMode('ok');
        const sums = server.sums();
        expect({ rx: sums.rx.toString(), tx: sums.tx.toString() }).toEqual({ rx: sc.expected.rx, tx: sc.expected.tx });
        expect(server.counters.conflicts).toBe(0);
        expect(server.counters.unauthorized).toBe(0);
        expect(server.counters.invalid).toBe(0);
        if (sc.steps.some((s) => s.collector === 'drop')) expect(server.counters.duplicates).toBeGreaterThan(0);

        const st = await statusJson(cfg);
        expect(st.totals).toEqual({ rx: sc.expected.rx, tx: sc.expected.tx });
        expect({ rx: st.period.rx, tx: st.period.tx }).toEqual({ rx: sc.expected.rx, tx: sc.expected.tx });
        expect(st.pending).toBe(0);
        expect(st.detected).toMatchObject(sc.expected.detected);
      } finally {
        await tmp.cleanup();
      }
    });
  }
});
