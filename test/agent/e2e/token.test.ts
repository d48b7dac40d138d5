/** The node token never reaches the agent's output, at trace level, even when a collector echoes it back. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import {
  TOKEN,
  ensureBuilt,
  logLines,
  makeTempDir,
  runAgent,
  startDaemon,
  waitFor,
  writeConfig,
} from '../helpers/agent-cli.js';

describe('the token is never logged', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let fx: ProcFixture;
  let echo: Server;
  let echoUrl: string;
  let good: HeartbeatServer;

  beforeAll(async () => {
    ensureBuilt();
    tmp = await makeTempDir('ta-token-');
    fx = await ProcFixture.create();
    good = await startHeartbeatServer({ token: TOKEN });
    // A collector (or a proxy in front of it) that answers 401 and echoes the request's headers in its error page.
    echo = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end(`unauthorized; you sent: ${JSON.stringify(req.headers)}`);
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => echo.close(r));
    await good.close();
    await fx.remove();
    await tmp.cleanup();
  });

  it('not by once, run, sample, status or check-config at trace level', async () => {
    const extra = { log: { level: 'trace' } };
    const cfg = await writeConfig(join(tmp.dir, 'echo.json'), {
      url: echoUrl,
      stateDir: join(tmp.dir, 'state'),
      procRoot: fx.root,
      extra,
    });
    const outputs: string[] = [];
    for (const args of [
      ['once'],
      ['once'],
      ['sample'],
      ['sample', '--json'],
      ['status'],
      ['status', '--json'],
      ['check-config'],
    ]) {
      const r = await runAgent([...args, '-c', cfg]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    // the refusal is logged (so the check below looks at a log that talks about the request)...
    const rejected = logLines(outputs.join('\n')).find((l) => l.code === 'DELIVERY_REJECTED');
    expect(String(rejected?.msg)).toContain('heartbeat refused with 401');
    // ...and the daemon, with a collector that accepts
    const runCfg = await writeConfig(join(tmp.dir, 'run.json'), {
      url: good.url,
      stateDir: join(tmp.dir, 'state2'),
      procRoot: fx.root,
      heartbeatIntervalSec: 0.1,
      extra,
    });
    const d = startDaemon(runCfg);
    await waitFor(() => good.counters.answered >= 3, 'three heartbeats', 15_000);
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
    outputs.push(d.output());
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(TOKEN);
  });
});
