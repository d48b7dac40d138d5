/**
 * Checks the relative links of Markdown files the way GitHub renders them: marked finds the links (inline, reference
 * and autolinks, never the text of code blocks), github-slugger gives each heading the anchor GitHub gives it.
 * A link is broken when its file does not exist, when it leaves the repository, or when its #anchor names no heading
 * of the Markdown file it points to. Also lists every `npm run X` whose script package.json does not define.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import GithubSlugger from 'github-slugger';
import { type Token, type Tokens, lexer, walkTokens } from 'marked';

/** Folders that hold generated or installed files, never documentation of this repository. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'test-output', '.tmp', 'data']);

export function markdownFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...markdownFiles(root, join(dir, entry.name)));
    } else if (entry.name.endsWith('.md')) out.push(join(dir, entry.name));
  }
  return out.sort();
}

/** The heading's text as GitHub renders it (code spans keep their text, link syntax and emphasis marks go). */
function plainText(tokens: readonly Token[] | undefined): string {
  let text = '';
  for (const t of tokens ?? []) {
    if ('tokens' in t && t.tokens?.length) text += plainText(t.tokens);
    else if (t.type === 'html') continue;
    else if ('text' in t && typeof t.text === 'string') text += t.text;
  }
  return text;
}

interface Parsed {
  anchors: Set<string>;
  links: string[];
}

function parse(file: string, cache: Map<string, Parsed>): Parsed {
  const hit = cache.get(file);
  if (hit) return hit;
  const tokens = lexer(readFileSync(file, 'utf8'));
  const slugger = new GithubSlugger();
  const parsed: Parsed = { anchors: new Set(), links: [] };
  // walkTokens returns the callbacks' results for async extensions; this callback is synchronous.
  void walkTokens(tokens, (t) => {
    if (t.type === 'heading') parsed.anchors.add(slugger.slug(plainText((t as Tokens.Heading).tokens)));
    else if (t.type === 'link' || t.type === 'image') parsed.links.push((t as Tokens.Link).href);
  });
  cache.set(file, parsed);
  return parsed;
}

/** Every broken relative link of the Markdown files under root, as "file: link (why)". */
export function brokenLinks(root: string, files = markdownFiles(root)): string[] {
  const cache = new Map<string, Parsed>();
  const problems: string[] = [];
  for (const file of files) {
    const where = relative(root, file);
    for (const href of parse(file, cache).links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) continue; // https:, mailto:, …
      const hash = href.indexOf('#');
      const path = decodeURIComponent(hash < 0 ? href : href.slice(0, hash));
      const anchor = hash < 0 ? null : decodeURIComponent(href.slice(hash + 1));
      const target = path === '' ? file : path.startsWith('/') ? join(root, path) : resolve(dirname(file), path);
      if (target !== root && !target.startsWith(root + sep)) {
        problems.push(`${where}: ${href} (outside the repository)`);
        continue;
      }
      if (!existsSync(target)) {
        problems.push(`${where}: ${href} (no such file)`);
        continue;
      }
      if (anchor === null || !target.endsWith('.md') || statSync(target).isDirectory()) continue;
      if (!parse(target, cache).anchors.has(anchor))
        problems.push(`${where}: ${href} (no heading #${anchor} in ${relative(root, target)})`);
    }
  }
  return problems;
}

/** Every `npm run X` in the Markdown files under root whose script X package.json does not define. */
export function unknownNpmScripts(root: string, files = markdownFiles(root)): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const scripts = new Set(Object.keys(pkg.scripts ?? {}));
  const problems: string[] = [];
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bnpm run (?:--silent |-s )?([A-Za-z0-9][\w:.-]*)/g)) {
      const name = m[1].replace(/[.:]+$/, ''); // a sentence's full stop or colon after the name
      if (!scripts.has(name)) problems.push(`${relative(root, file)}: npm run ${name}`);
    }
  }
  return problems;
}
