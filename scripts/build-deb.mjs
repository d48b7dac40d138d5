/**
 * Packs the single executable into traffic-agent_<version>_amd64.deb with dpkg-deb (no network). Called by
 * scripts/build-agent.mjs. Layout:
 *   /usr/bin/traffic-agent                          the single executable (no Node needed)
 *   /lib/systemd/system/traffic-agent.service       the unit (DynamicUser, StateDirectory=traffic-agent)
 *   /etc/traffic-agent/config.json                  a conffile: dpkg keeps the operator's edits on upgrade
 *   /usr/share/doc/traffic-agent/                   README.md, docs/ (the agent operator's pages, AGENT_DOCS),
 *                                                   src/agent/ERRORS.md, config.example.json, copyright
 *   DEBIAN/{control,conffiles,postinst,prerm,postrm} maintainer scripts from debian/
 * The state directory is not in the package: systemd creates /var/lib/private/traffic-agent (StateDirectory=, owned
 * by the transient user) at the first start and links /var/lib/traffic-agent to it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { lexer, walkTokens } from 'marked';

function put(stage, path, from, mode) {
  const to = join(stage, path);
  mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
  copyFileSync(from, to);
  chmodSync(to, mode);
}

/**
 * The pages an agent operator needs, shipped in /usr/share/doc/traffic-agent at their places in the repository, so
 * that the links between them resolve there as they do on GitHub. The collector's, the dashboard's and the
 * developers' pages stay out: a link to one of them becomes its plain text (agentDocs below).
 */
export const AGENT_DOCS = Object.freeze([
  'README.md',
  'docs/README.md',
  'docs/install.md',
  'docs/agent.md',
  'docs/operations.md',
  'docs/guarantees.md',
  'docs/exactly-once.md',
  'docs/agent-delivery.md',
  'docs/state-directory.md',
  'docs/report.md',
  'docs/security.md',
  'docs/environment.md',
  'src/agent/ERRORS.md',
]);
/** Other shipped files the pages may link to. */
const AGENT_DOC_FILES = Object.freeze(['config.example.json']);

/**
 * AGENT_DOCS as shipped: { path, text } each, where every relative link to a file the package does not ship is
 * replaced by its text (marked finds the links, never in code). Links to the web and to shipped files stay.
 */
export function agentDocs(root) {
  const shipped = new Set([...AGENT_DOCS, ...AGENT_DOC_FILES]);
  return AGENT_DOCS.map((path) => {
    let text = readFileSync(join(root, path), 'utf8');
    const dangling = new Map();
    // walkTokens returns the callbacks' results for async extensions; this callback is synchronous.
    void walkTokens(lexer(text), (t) => {
      if (t.type !== 'link' && t.type !== 'image') return;
      if (/^[a-z][a-z0-9+.-]*:/i.test(t.href) || t.href.startsWith('//') || t.href.startsWith('#')) return;
      const target = posix.normalize(posix.join(posix.dirname(path), decodeURIComponent(t.href.split('#')[0])));
      if (!shipped.has(target)) dangling.set(t.raw, t.text);
    });
    for (const [raw, label] of dangling) text = text.split(raw).join(label);
    return { path, text };
  });
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
  for (const { path, text } of agentDocs(root)) {
    const to = join(stage, doc, path);
    mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
    writeFileSync(to, text, { mode: 0o644 });
    chmodSync(to, 0o644);
  }
  for (const file of AGENT_DOC_FILES) put(stage, `${doc}/${file}`, join(root, file), 0o644);
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
