/**
 * The read API's admin token: from --admin-token, the config file or TRAFFIC_COLLECTOR_ADMIN_TOKEN; otherwise one
 * generated once and kept in a file beside the database (mode 0600), reused on later starts.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isPostgresUrl } from './store/open-store.js';
import { generateToken } from './tokens.js';

export function adminTokenPath(db: string): string {
  return isPostgresUrl(db) ? resolve('data', 'admin-token') : join(dirname(resolve(db)), 'admin-token');
}

/** Returns the token and, when it came from (or went to) a file, that file's path. */
export function resolveAdminToken(
  configured: string | undefined,
  db: string,
): { token: string; file?: string; generated: boolean } {
  if (configured) return { token: configured, generated: false };
  const file = adminTokenPath(db);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { token: existing, file, generated: false };
  } catch {
    // none yet
  }
  const token = generateToken();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(file, 0o600);
  return { token, file, generated: true };
}
