/**
 * The write-time token check of a heartbeat (HeartbeatInput.tokenHash): both stores call it with the token hash the
 * node's row holds, read in the transaction that is about to write the heartbeat.
 */
import { CollectorError } from '../errors.js';
import { hashMatches } from '../tokens.js';
import type { HeartbeatInput } from './store.js';

/** Throws TC_UNAUTHORIZED when the heartbeat names a token hash the node (`stored`: its row's, or none) no longer has. */
export function checkHeartbeatToken(hb: HeartbeatInput, stored: unknown): void {
  if (hb.tokenHash && !hashMatches(hb.tokenHash, Buffer.isBuffer(stored) ? stored : undefined))
    throw new CollectorError('TC_UNAUTHORIZED');
}
