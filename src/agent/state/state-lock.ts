/**
 * One writer per state directory. `run` and `once` (every command that writes state) hold this lock for their whole
 * life; `status` and `sample` only read and never take it.
 *
 * The lock is a Linux abstract-namespace unix socket bound by the holder. bind() of a name is atomic (one process
 * gets it, every other gets EADDRINUSE) and the kernel frees the name when the holder's last descriptor closes, so a
 * SIGKILL, an OOM kill or a power loss never leaves a stale lock, and there is no file to guess about. The holder
 * answers a connection with its PID, so a refused second writer can name it. (Node has no flock(2); an addon for it
 * would complicate the single-executable build, and a PID file cannot tell a live holder from a reused PID.)
 *
 * The socket's name is a hash of `lock.key`, a random key created once inside the state directory (mode 0600, in a
 * directory only its owner may write): every path, bind mount or symlink that leads to the directory leads to the same
 * key and so to the same lock, and a user who cannot read the directory cannot guess the name to squat on it.
 *
 * Limit: abstract sockets live in a network namespace. Two writers in different network namespaces (a container with
 * its own network sharing the directory, `ip netns exec`) do not see each other. The shipped systemd unit keeps the
 * host's network namespace (it must, to read the host's /proc/net/dev); run any `once` in that same namespace.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { errorCode, errorMessage } from '../../common/error-message.js';
import { AgentError } from '../errors.js';

export const LOCK_KEY_FILE = 'lock.key';
const ASK_TIMEOUT_MS = 3000;

export interface StateLock {
  readonly dir: string;
  release(): Promise<void>;
}

/** The directory's lock key, created on first use: written whole under a temp name, then published by link(2). */
function lockKey(dir: string): Buffer {
  const path = join(dir, LOCK_KEY_FILE);
  try {
    return readFileSync(path);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  const tmp = join(dir, `${LOCK_KEY_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${randomBytes(16).toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path); // atomic: the first process to publish its key wins; the others read the winner's
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return readFileSync(path);
}

export function lockName(key: Buffer): string {
  return `\0traffic-agent-state:${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

function bind(name: string): Promise<Server | 'in-use'> {
  const server = createServer((socket) => {
    // A client that hangs up early is no concern of the holder's.
    socket.on('error', () => undefined);
    socket.end(`${process.pid}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => (errorCode(err) === 'EADDRINUSE' ? resolve('in-use') : reject(err)));
    server.listen({ path: name }, () => {
      server.unref(); // the lock never keeps the process alive; it lasts exactly as long as the process
      resolve(server);
    });
  });
}

/** The holder's PID as it answers, null if it does not answer in time, 'gone' if nobody holds the name any more. */
function askHolder(name: string): Promise<number | null | 'gone'> {
  return new Promise((resolve) => {
    const socket = createConnection({ path: name });
    let text = '';
    const done = (v: number | null | 'gone') => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(ASK_TIMEOUT_MS, () => done(null));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.length > 32) done(null);
    });
    socket.on('end', () => done(/^\d+\n$/.test(text) ? Number(text.trim()) : null));
    socket.on('error', (err) => done(errorCode(err) === 'ECONNREFUSED' ? 'gone' : null));
  });
}

/**
 * A state directory that users other than its owner may write is refused: one of them could plant a state file the
 * agent would trust, or links it would write through, or read the lock key and squat the lock.
 */
function assertPrivate(dir: string, mode: number): void {
  if ((mode & 0o022) === 0) return;
  const who = [mode & 0o020 ? 'its group' : '', mode & 0o002 ? 'all users' : ''].filter(Boolean).join(' and ');
  throw new AgentError(
    'STATE_DIR_INSECURE',
    `state directory ${dir} is writable by ${who} (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}); another ` +
      `user could plant files in it that the agent would read or write through: \`chmod go-w ${dir}\` (the agent ` +
      'creates it 0700), or set "allowInsecureStateDir": true in the config to accept the risk',
  );
}

export interface LockOptions {
  /** The operator's explicit override (config allowInsecureStateDir): accept a group/other-writable directory. */
  allowInsecure?: boolean;
}

/**
 * Makes the state directory if needed (0700), refuses it if other users may write it (STATE_DIR_INSECURE, unless
 * allowInsecure), then takes its lock, or throws AgentError STATE_LOCKED naming the holder's PID.
 */
export async function lockStateDir(dir: string, opts: LockOptions = {}): Promise<StateLock> {
  let name: string;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!opts.allowInsecure) assertPrivate(dir, statSync(dir).mode);
    name = lockName(lockKey(dir));
  } catch (err) {
    if (err instanceof AgentError) throw err;
    throw new AgentError('STATE_DIR_UNUSABLE', `state directory ${dir}: ${errorMessage(err)}`, [], { cause: err });
  }
  // A holder that dies between our bind and our question frees the name: try again (a few times at most).
  for (let attempt = 0; attempt < 5; attempt++) {
    const bound = await bind(name);
    if (bound !== 'in-use') {
      return {
        dir,
        release: () => new Promise<void>((r) => bound.close(() => r())),
      };
    }
    const holder = await askHolder(name);
    if (holder === 'gone') continue;
    throw new AgentError(
      'STATE_LOCKED',
      `state directory ${dir} is being written by another traffic-agent process ` +
        `(${holder === null ? 'it did not say its PID' : `PID ${holder}`}); only one process may write it: stop that ` +
        'one first (systemctl stop traffic-agent), or use `status`/`sample`, which only read',
      holder === null ? [] : [`holder PID: ${holder}`],
    );
  }
  throw new AgentError('STATE_LOCKED', `state directory ${dir}: its lock changed hands repeatedly; try again`);
}
