/**
 * The documentation's links hold: every relative link and #anchor in every Markdown file of the repository resolves
 * (inside the repository), and every `npm run X` it tells a reader to type exists in package.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { brokenLinks, markdownFiles, unknownNpmScripts } from './support/markdown-links.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('the repository documentation', () => {
  it('is found: the README, docs/ and the error lists', () => {
    const files = markdownFiles(REPO).map((f) => f.slice(REPO.length + 1));
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/README.md', 'src/agent/ERRORS.md']));
    expect(files.some((f) => f.startsWith('node_modules/'))).toBe(false);
  });

  it('has no broken relative link or anchor', () => {
    expect(brokenLinks(REPO)).toEqual([]);
  });

  it('mentions only npm scripts that exist', () => {
    expect(unknownNpmScripts(REPO)).toEqual([]);
  });
});

describe('the link checker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'docs-links-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { build: 'tsc', 'bench:agent': 'tsx b.ts' } }));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(
    join(dir, 'docs', 'a.md'),
    [
      '# Page A',
      '## What `npm run build` does',
      '## Per-user traffic from V2Ray / Xray',
      'Fine: [self](#page-a), [code heading](#what-npm-run-build-does), [slash](#per-user-traffic-from-v2ray--xray),',
      '[up](../README.md#top), [dir](../docs), [web](https://example.com/x#y), [ref][r].',
      'Broken: [gone](missing.md), [anchor](../README.md#nope), [outside](../../elsewhere.md), [ref2][bad].',
      '',
      '[r]: ../README.md',
      '[bad]: ./nothing-here.md',
      '',
      'Run `npm run build`, then npm run bench:agent. Not a script: `npm run deploy`.',
      '```sh',
      '[in a code block](not-a-link.md)',
      'npm run --silent lint',
      '```',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'README.md'), '# Top\n\nSee [A](docs/a.md#page-a) and [the missing one](docs/b.md).\n');

  it('reports missing files, missing anchors, links leaving the repository, and nothing else', () => {
    expect(brokenLinks(dir).sort()).toEqual(
      [
        'README.md: docs/b.md (no such file)',
        'docs/a.md: ../../elsewhere.md (outside the repository)',
        'docs/a.md: ../README.md#nope (no heading #nope in README.md)',
        'docs/a.md: ./nothing-here.md (no such file)',
        'docs/a.md: missing.md (no such file)',
      ].sort(),
    );
  });

  it('reports npm scripts package.json does not define, code blocks included', () => {
    expect(unknownNpmScripts(dir).sort()).toEqual(['docs/a.md: npm run deploy', 'docs/a.md: npm run lint'].sort());
  });
});
