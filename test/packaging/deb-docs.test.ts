/**
 * The documentation the .deb ships (scripts/build-deb.mjs AGENT_DOCS): the agent operator's pages at their places in
 * the repository, each link either resolving inside /usr/share/doc/traffic-agent or turned into plain text. Checked
 * here on a copy laid out as dpkg lays it out (no root needed); test/packaging/deb.test.ts checks the installed one.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_DOCS, agentDocs } from '../../scripts/build-deb.mjs';
import { REPO_ROOT } from '../support/agent-binary.js';
import { brokenLinks, markdownFiles } from '../support/markdown-links.js';

describe('the documentation in the .deb', () => {
  it("ships the agent operator's pages with every link resolving among them", () => {
    const dir = mkdtempSync(join(tmpdir(), 'deb-docs-'));
    try {
      for (const { path, text } of agentDocs(REPO_ROOT)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      cpSync(join(REPO_ROOT, 'config.example.json'), join(dir, 'config.example.json'));
      for (const page of ['README.md', 'docs/install.md', 'docs/agent.md', 'docs/operations.md', 'docs/guarantees.md'])
        expect(AGENT_DOCS).toContain(page);
      expect(markdownFiles(dir).length).toBe(AGENT_DOCS.length);
      expect(brokenLinks(dir)).toEqual([]);

      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      // A link to a shipped page stays a link; one to a page left out (the collector's) becomes its text.
      expect(readme).toContain('](docs/install.md');
      expect(readme).not.toContain('](docs/collector.md');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
