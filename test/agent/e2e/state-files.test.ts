/**
 * The state directory and files under stress: an unusable directory stops the agent with exit 2 naming it, touching
 * nothing else; a damaged state.json is never fatal (set aside as state.json.corrupt-*, the good copy takes over).
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import { TOKEN, ensureBuilt, logLines, makeTempDir, runAgent, statusJson, writeConfig } from '../helpers/agent-cli.js';

beforeAll(() => ensureBuilt());

describe('state files', () => {
  let server: HeartbeatServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let fx: ProcFixture;
  let cfg: string;
  let stateDir: string;

  beforeEach(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
    tmp = await makeTempDir('ta-state-');
    fx = await ProcFixture.create({ interfaces: { eth0: { rx: 10_000n, tx: 20_000n } } });
    stateDir = join(tmp.dir, 'state');
    cfg = await writeConfig(join(tmp.dir, 'agent.json'), { url: server.url, stateDir, procRoot: fx.root });
  });
  afterEach(async () => {
    await server.close();
    await fx.remove();
    await tmp.cleanup();
  });

  it('an unusable state directory: exit 2 with a message naming it; the existing state elsewhere is untouched', async () => {
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    await fx.grow('eth0', 1_000n, 1_000n);
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    const before = await readFile(join(stateDir, 'state.json'));
    const beforeStat = await stat(join(stateDir, 'state.json'));

    // root ignores permissions, but not a path that runs through a regular file
    await mkdir(join(tmp.dir, 'x'));
    await writeFile(join(tmp.dir, 'x', 'file'), 'not a directory');
    const badDir = join(tmp.dir, 'x', 'file', 'sub');
    const badCfg = await writeConfig(join(tmp.dir, 'bad.json'), {
      url: server.url,
      stateDir: badDir,
      procRoot: fx.root,
    });
    await fx.grow('eth0', 5n, 5n);
    const requests = server.counters.requests;
    const r = await runAgent(['once', '-c', badCfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`STATE_DIR_UNUSABLE: state directory ${badDir}: ENOTDIR`);
    expect(server.counters.requests).toBe(requests); // nothing sent that is not saved
    expect(await readFile(join(stateDir, 'state.json'))).toEqual(before);
    expect((await stat(join(stateDir, 'state.json'))).mtimeMs).toBe(beforeStat.mtimeMs);
    expect(await readFile(join(tmp.dir, 'x', 'file'), 'utf8')).toBe('not a directory');

    // the good state directory still counts the bytes the failed run saw
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    expect(server.sums()).toMatchObject({ rx: 1_005n, tx: 1_005n });
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
  });

  it('a corrupt state.json is set aside and the good copy takes over: nothing lost, nothing twice', async () => {
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    await fx.grow('eth0', 300n, 400n);
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    const epoch = (await statusJson(cfg)).epoch;
    await writeFile(join(stateDir, 'state.json'), '{"sha256":"garbage'); // a torn write, as a crashy disk leaves it
    const st = await statusJson(cfg);
    expect(st.source).toBe('backup');
    expect(st.problems[0]).toContain(`${join(stateDir, 'state.json')}: `);

    await fx.grow('eth0', 50n, 60n);
    const r = await runAgent(['once', '-c', cfg]);
    expect(r.code).toBe(0);
    const lines = logLines(r.stdout);
    const corrupt = lines.find((l) => l.code === 'STATE_CORRUPT');
    expect(corrupt).toMatchObject({
      file: join(stateDir, 'state.json'),
      reason: 'the file does not start like a traffic-agent state file',
    });
    expect(String(corrupt?.msg)).toContain(join(stateDir, 'state.json'));
    expect(String(corrupt?.movedTo)).toMatch(/state\.json\.corrupt-/);
    expect(lines.some((l) => l.event === 'state-recovered')).toBe(true);
    const names = await readdir(stateDir);
    expect(names.filter((n) => n.startsWith('state.json.corrupt-'))).toHaveLength(1);
    expect(await readFile(join(stateDir, names.find((n) => n.startsWith('state.json.corrupt-'))!), 'utf8')).toBe(
      '{"sha256":"garbage',
    );

    expect(server.sums()).toEqual({ rx: 350n, tx: 460n, records: 2 });
    expect(server.counters.conflicts).toBe(0);
    const after = await statusJson(cfg);
    expect(after).toMatchObject({ source: 'primary', epoch, totals: { rx: '350', tx: '460' }, pending: 0 });
  });

  it('with both files damaged: not fatal, a new baseline under a new epoch, logged', async () => {
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    const epoch = (await statusJson(cfg)).epoch;
    const good = await readFile(join(stateDir, 'state.json'), 'utf8');
    const flipped = good.replace('"rx":"10000"', '"rx":"10001"');
    expect(flipped).not.toBe(good);
    await writeFile(join(stateDir, 'state.json'), flipped);
    await writeFile(join(stateDir, 'state.json.bak'), '');
    const r = await runAgent(['once', '-c', cfg]);
    expect(r.code).toBe(0);
    const lines = logLines(r.stdout);
    expect(lines.filter((l) => l.code === 'STATE_CORRUPT').map((l) => l.reason)).toEqual([
      'the checksum does not match (truncated or damaged)',
      'the file is empty',
    ]);
    expect(lines.some((l) => l.event === 'state-rebaseline')).toBe(true);
    const st = await statusJson(cfg);
    expect(st.epoch).not.toBe(epoch);
    expect(st.totals).toEqual({ rx: '0', tx: '0' });
  });
});
