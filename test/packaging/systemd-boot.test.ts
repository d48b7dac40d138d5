/**
 * The .deb's unit under a real systemd (root; CI too): a minimal Debian 12 root (debootstrap --variant=minbase with
 * systemd, systemd-sysv and dbus, cached by scripts/debian-test-root.sh) gets the .deb installed with dpkg, the
 * operator's config and token, and the unit enabled; it is booted with `systemd-nspawn --register=no --keep-unit -b`
 * on the host's network, so the agent inside reaches a real collector on 127.0.0.1. A oneshot unit inside
 * (ta-check.service) reports through a bind-mounted folder, steps along with this test, and powers the machine off.
 *
 * Asserted: the agent is active (running) with no restart; its state is owned by the transient (DynamicUser) user
 * that runs it; heartbeats reach the collector; `systemctl reload` succeeds (ExecReload runs the agent itself, with no
 * /bin/kill in the root) and returns only once the new config is applied (the metrics endpoint the new config adds is
 * listening the moment it returns); with a broken config `systemctl reload` fails, the journal says why, and the agent
 * runs on; the stop is clean (Result=success, status 0).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/agent-binary.js';
import { ensureAgentExecutable } from '../support/agent-executable.js';
import { freePort, startCollector, type CollectorProcess } from '../support/collector-process.js';
import { until } from '../support/until.js';

// Runs inside the booted machine as a oneshot unit. Each step waits for the test's go-ahead file in /report.
const CHECK_SCRIPT = `#!/bin/sh
r=/report
say() { echo "$(date +%T) $*" >>$r/log; }
waitfor() { i=0; while [ ! -e "$r/$1" ]; do i=$((i+1)); [ $i -gt 1200 ] && { say "no $1"; systemctl poweroff; exit 1; }; sleep 0.1; done; }
show() { systemctl show traffic-agent -p ActiveState -p SubState -p NRestarts -p MainPID -p Result -p ExecMainStatus -p ExecMainCode >"$r/$1"; }
i=0
until systemctl is-active -q traffic-agent; do
  i=$((i+1)); if [ $i -gt 600 ] || systemctl is-failed -q traffic-agent; then break; fi; sleep 0.1
done
show show-started
pid=$(systemctl show -p MainPID --value traffic-agent)
awk '/^Uid:/ { print $2 }' /proc/$pid/status >$r/main-uid
stat -c '%u %a %F' /var/lib/private/traffic-agent >$r/state-dir
readlink /var/lib/traffic-agent >$r/state-link
find /var/lib/private/traffic-agent -mindepth 1 -printf '%u %p\\n' >$r/state-files
touch $r/started
say started
waitfor heartbeat-seen
sed -i 's/"listen": null/"listen": "127.0.0.1:'"$(cat $r/metrics-port)"'"/' /etc/traffic-agent/config.json
systemctl reload traffic-agent; echo $? >$r/reload-status
# No waiting here: ExecReload (traffic-agent reload) returns once the daemon has applied the new config, so the metrics
# endpoint it adds is listening (a LISTEN row for 127.0.0.1:port in the shared network namespace) and the unit running.
show show-reloaded
grep -c ":$(printf '%04X' "$(cat $r/metrics-port)") 00000000:0000 0A" /proc/net/tcp >$r/metrics-listening
cat /run/traffic-agent/reload-status.json >$r/reload-ack 2>&1
find /var/lib/private/traffic-agent -mindepth 1 -printf '%u %p\\n' >$r/state-files-later
touch $r/reloaded
say reloaded
waitfor metrics-seen
# A broken config: systemctl reload fails saying why, and the daemon runs on with the one it has.
sed -i 's/"heartbeatIntervalSec": 1/"heartbeatIntervalSec": "often"/' /etc/traffic-agent/config.json
systemctl reload traffic-agent >$r/refused-output 2>&1; echo $? >$r/refused-status
show show-refused
show show-before-stop
systemctl stop traffic-agent; echo $? >$r/stop-status
show show-stopped
journalctl -u traffic-agent --no-pager -o cat >$r/journal 2>&1
touch $r/stopped
say stopped
systemctl poweroff
`;

const CHECK_UNIT = `[Unit]
Description=traffic-agent boot test: report to /report, then power off
After=traffic-agent.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ta-check
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`;

function props(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

let collector: CollectorProcess | undefined;
let work: string | undefined;
let machine: ReturnType<typeof spawn> | undefined;
afterAll(async () => {
  if (machine && machine.exitCode === null) machine.kill('SIGKILL');
  await collector?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the .deb under a real systemd (Debian 12 in systemd-nspawn)', () => {
  it('runs, reloads and stops the agent as its unit says', { timeout: 1_200_000 }, async () => {
    if (process.getuid?.() !== 0)
      throw new Error('this test boots a container with systemd-nspawn: run it as root (CI does)');
    for (const tool of ['debootstrap', 'systemd-nspawn'])
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
        throw new Error(`${tool} is missing: apt-get install -y debootstrap systemd-container (.ci/run does)`);
    const built = await ensureAgentExecutable();
    const cached = run('bash', [join(REPO_ROOT, 'scripts/debian-test-root.sh')]).trim();

    work = mkdtempSync(join(tmpdir(), 'boot-'));
    const root = join(work, 'root');
    const report = join(work, 'report');
    mkdirSync(report);
    run('cp', ['-a', '--reflink=auto', cached, root]);
    copyFileSync(built.deb, join(root, 'srv/traffic-agent.deb')); // (nspawn mounts a tmpfs on /tmp)
    const nspawn = ['-D', root, '--register=no', '--keep-unit', '-q'];
    run('systemd-nspawn', [...nspawn, 'dpkg', '-i', '/srv/traffic-agent.deb']);
    rmSync(join(root, 'srv/traffic-agent.deb'));

    collector = await startCollector();
    const node = await collector.addNode({ name: 'nspawn-node' });
    const metricsPort = await freePort();
    writeFileSync(join(report, 'metrics-port'), String(metricsPort));
    const config = JSON.parse(readFileSync(join(root, 'etc/traffic-agent/config.json'), 'utf8'));
    config.node = { id: node.id, token: '' };
    config.collector.url = collector.url;
    config.heartbeatIntervalSec = 1;
    config.metrics = { listen: null };
    writeFileSync(join(root, 'etc/traffic-agent/config.json'), `${JSON.stringify(config, null, 2)}\n`);
    writeFileSync(join(root, 'etc/traffic-agent/node-token'), `${node.token}\n`, { mode: 0o600 });
    writeFileSync(join(root, 'usr/local/sbin/ta-check'), CHECK_SCRIPT);
    chmodSync(join(root, 'usr/local/sbin/ta-check'), 0o755);
    writeFileSync(join(root, 'etc/systemd/system/ta-check.service'), CHECK_UNIT);
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
    mkdirSync(wants, { recursive: true });
    symlinkSync('/lib/systemd/system/traffic-agent.service', join(wants, 'traffic-agent.service'));
    symlinkSync('/etc/systemd/system/ta-check.service', join(wants, 'ta-check.service'));
    expect(existsSync(join(root, 'bin/kill'))).toBe(false); // the point of ExecReload=traffic-agent reload

    let console = '';
    machine = spawn('systemd-nspawn', [...nspawn, '-b', `--bind=${report}:/report`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    machine.stdout!.on('data', (d: Buffer) => (console += d.toString()));
    machine.stderr!.on('data', (d: Buffer) => (console += d.toString()));
    const exited = new Promise<number | null>((resolve) => machine!.on('exit', (code) => resolve(code)));
    const context = () =>
      `report log:\n${existsSync(join(report, 'log')) ? readFileSync(join(report, 'log'), 'utf8') : ''}\nconsole tail:\n${console.slice(-3000)}`;
    const step = (file: string, what: string) =>
      until(() => existsSync(join(report, file)), what, { ms: 180_000, everyMs: 200, context });

    await step('started', 'the machine booting and the agent starting');
    const started = props(join(report, 'show-started'));
    expect(started, context()).toMatchObject({ ActiveState: 'active', SubState: 'running', NRestarts: '0' });

    // Heartbeats reach the collector on the host.
    const seen = async () => {
      const res = await request(`${collector!.url}/api/v1/nodes`, {
        headers: { authorization: `Bearer ${collector!.adminToken}` },
      });
      const body = (await res.body.json()) as { nodes: { id: number; online: boolean; bootId: string | null }[] };
      const n = body.nodes.find((x) => x.id === node.id);
      return n?.online === true && typeof n.bootId === 'string';
    };
    await until(seen, 'a heartbeat from the agent in the machine', { ms: 60_000, everyMs: 250, context });
    writeFileSync(join(report, 'heartbeat-seen'), '');

    // Reload: ExecReload succeeds, and `systemctl reload` returned only once the new config was applied: its metrics
    // endpoint was listening then (checked inside at once), and answers now at the first try.
    await step('reloaded', 'systemctl reload');
    expect(readFileSync(join(report, 'reload-status'), 'utf8').trim()).toBe('0');
    expect(readFileSync(join(report, 'metrics-listening'), 'utf8').trim(), context()).toBe('1');
    expect(JSON.parse(readFileSync(join(report, 'reload-ack'), 'utf8'))).toMatchObject({
      generation: 1,
      state: 'reloaded',
    });
    const metrics = async () => {
      try {
        const res = await request(`http://127.0.0.1:${metricsPort}/metrics`);
        const text = await res.body.text();
        return res.statusCode === 200 && text.includes('traffic_agent');
      } catch {
        return false;
      }
    };
    expect(await metrics(), 'the metrics endpoint that the reloaded config adds').toBe(true);
    writeFileSync(join(report, 'metrics-seen'), '');

    await step('stopped', 'systemctl stop');
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 120_000))])).toBe(0);

    // The broken config: `systemctl reload` failed and said why (in the journal, from ExecReload).
    expect(readFileSync(join(report, 'refused-status'), 'utf8').trim()).not.toBe('0');
    expect(readFileSync(join(report, 'refused-output'), 'utf8')).toContain('failed');

    // Same process, never restarted, from start to the stop, through both reloads.
    const reloaded = props(join(report, 'show-reloaded'));
    const refused = props(join(report, 'show-refused'));
    const beforeStop = props(join(report, 'show-before-stop'));
    for (const p of [reloaded, refused, beforeStop]) {
      expect(p).toMatchObject({ ActiveState: 'active', SubState: 'running', NRestarts: '0' });
      expect(p.MainPID).toBe(started.MainPID);
    }
    // A clean stop.
    expect(readFileSync(join(report, 'stop-status'), 'utf8').trim()).toBe('0');
    expect(props(join(report, 'show-stopped'))).toMatchObject({
      ActiveState: 'inactive',
      Result: 'success',
      ExecMainStatus: '0',
      NRestarts: '0',
    });
    const journal = readFileSync(join(report, 'journal'), 'utf8');
    expect(journal).toContain('"event":"reload"');
    expect(journal).toContain('"event":"stopped"');
    expect(journal).toContain('"event":"reload-refused"');
    expect(journal).toMatch(
      /traffic-agent reload: process \d+ refused the new configuration and keeps the old one: .*heartbeatIntervalSec/,
    );
    // Under the unit's sandbox (SystemCallFilter=@system-service, ProtectProc=invisible, a dynamic user that neither
    // owns nor may write /usr/bin/traffic-agent) the daemon loaded its drop_pages addon from $RUNTIME_DIRECTORY and
    // dropped its executable's idle pages (resident-pages.ts): its resident file pages fell by more than half.
    const dropped = journal
      .split('\n')
      .filter((l) => l.includes("dropped the executable's idle pages"))
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { residentFileMB: { before: number; after: number } });
    expect(dropped, journal).toHaveLength(1);
    expect(dropped[0].residentFileMB.before).toBeGreaterThan(10);
    expect(dropped[0].residentFileMB.after).toBeLessThan(dropped[0].residentFileMB.before / 2);
    expect(journal).not.toContain('they stay resident');
    // Nothing else went wrong: the only error line is that refusal, the only failed process its ExecReload.
    const failures = journal
      .split('\n')
      .filter((l) => /"level":(50|60)|203\/EXEC|code=exited, status=[1-9]/.test(l))
      .filter(
        (l) => !l.includes('"event":"reload-refused"') && !/Control process exited, code=exited, status=1/.test(l),
      );
    expect(failures).toEqual([]);

    // The state belongs to the transient user the agent ran as (DynamicUser: a UID in 61184..65519).
    const uid = Number(readFileSync(join(report, 'main-uid'), 'utf8').trim());
    expect(uid).toBeGreaterThanOrEqual(61184);
    expect(uid).toBeLessThanOrEqual(65519);
    expect(readFileSync(join(report, 'state-dir'), 'utf8').trim()).toBe(`${uid} 700 directory`);
    expect(readFileSync(join(report, 'state-link'), 'utf8').trim()).toBe('private/traffic-agent');
    const files = readFileSync(join(report, 'state-files-later'), 'utf8').trim().split('\n');
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(f.startsWith(`${uid} `), f).toBe(true);
  });
});
