/**
 * Packs the single executable into traffic-agent_<version>_amd64.deb with dpkg-deb (no network). Called by
 * scripts/build-agent.mjs. Layout:
 *   /usr/bin/traffic-agent                          the single executable (no Node needed)
 *   /lib/systemd/system/traffic-agent.service       the unit (DynamicUser, StateDirectory=traffic-agent)
 *   /etc/traffic-agent/config.json                  a conffile: dpkg keeps the operator's edits on upgrade
 *   /usr/share/doc/traffic-agent/                   install.md, README.md, config.example.json, copyright
 *   DEBIAN/{control,conffiles,postinst,prerm,postrm} maintainer scripts from debian/
 * The state directory is not in the package: systemd creates /var/lib/private/traffic-agent (StateDirectory=, owned
 * by the transient user) at the first start and links /var/lib/traffic-agent to it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function put(stage, path, from, mode) {
  const to = join(stage, path);
  mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
  copyFileSync(from, to);
  chmodSync(to, mode);
}

export function buildDeb({ root, binary, version, out }) {
  if (!existsSync(binary)) throw new Error(`build-deb: ${binary} is missing (run npm run build:agent)`);
  const stage = join(out, 'deb-root');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'DEBIAN'), { recursive: true, mode: 0o755 });
  put(stage, 'usr/bin/traffic-agent', binary, 0o755);
  put(stage, 'lib/systemd/system/traffic-agent.service', join(root, 'systemd/traffic-agent.service'), 0o644);
  put(stage, 'etc/traffic-agent/config.json', join(root, 'config.example.json'), 0o644);
  const doc = 'usr/share/doc/traffic-agent';
  put(stage, `${doc}/install.md`, join(root, 'docs/install.md'), 0o644);
  put(stage, `${doc}/README.md`, join(root, 'README.md'), 0o644);
  put(stage, `${doc}/config.example.json`, join(root, 'config.example.json'), 0o644);
  put(stage, `${doc}/copyright`, join(root, 'debian/copyright'), 0o644);
  for (const script of ['postinst', 'prerm', 'postrm'])
    put(stage, `DEBIAN/${script}`, join(root, 'debian', script), 0o755);
  writeFileSync(join(stage, 'DEBIAN/conffiles'), '/etc/traffic-agent/config.json\n');
  const installedKiB = Math.ceil(statSync(binary).size / 1024) + 64;
  writeFileSync(
    join(stage, 'DEBIAN/control'),
    [
      'Package: traffic-agent',
      `Version: ${version}`,
      'Architecture: amd64',
      'Maintainer: traffic-agent developers <traffic-agent@localhost>',
      'Section: net',
      'Priority: optional',
      // What the embedded Node links against (ldd build/agent/traffic-agent); Node 20 needs glibc >= 2.28.
      'Depends: libc6 (>= 2.28), libgcc-s1, libstdc++6',
      `Installed-Size: ${installedKiB}`,
      'Description: billing-grade traffic accounting agent for proxy and VPS nodes',
      " Counts the node's interface traffic (and V2Ray/Xray per-user traffic) exactly across reboots,",
      ' counter resets and outages, and delivers it to a traffic-agent collector. One executable with',
      ' Node.js embedded, run by systemd as a transient user.',
      '',
    ].join('\n'),
  );
  const deb = join(out, `traffic-agent_${version}_amd64.deb`);
  rmSync(deb, { force: true });
  // gzip, not dpkg-deb's default xz: xz takes minutes over a 90 MB executable on a busy 2-core machine, gzip seconds.
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', stage, deb], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  rmSync(stage, { recursive: true, force: true });
  return deb;
}
