/** Types of scripts/build-deb.mjs for the tests that import it. */
export const AGENT_DOCS: readonly string[];
export function agentDocs(root: string): { path: string; text: string }[];
export function buildDeb(opts: { root: string; binary: string; version: string; out: string }): string;
