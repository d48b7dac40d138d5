/**
 * The per-user entries of one push (`{"<uid>": [up, down]}`), collected one entry at a time as the body streams in
 * (panel-body.ts), then turned into rows and the push's digest in bounded steps that give the event loop back.
 * Nothing here holds a copy of the body: the entries live in typed columns (16 bytes a user, plus one byte of state).
 *
 * The meaning is that of JSON.parse on the whole body followed by the panel's reading of it:
 * - the last value of a repeated key wins (as in a JSON object);
 * - an entry counts when its key is a user id (1 to 15 digits) and its value a pair of counts (a non-negative safe
 *   integer, or a string of at most 20 decimal digits without leading zeros, which is how exact large counts arrive);
 *   any other entry is skipped, as the panel skips it;
 * - keys naming one user id in different spellings ("7", "07") are added up;
 * - a count, or a user's sum, over 2^63-1 makes the push 'too-large'; so does a count that the node's rate pushes over.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PushDigest } from '../protocol/record-digest.js';
import { STORE_MAX } from './store/store.js';
import { type RawBytes, UserRows } from './store/user-rows.js';
import { rateMultiplier } from './user-push.js';

const USER_KEY = /^\d{1,15}$/;
/** A key whose text is exactly String(Number(key)): what our agent sends. */
const CANONICAL_KEY = /^(0|[1-9]\d{0,14})$/;
const COUNT_TEXT = /^(0|[1-9][0-9]{0,19})$/;
/** Users handled between two returns to the event loop when finishing a push (a few ms of work each). */
const USERS_PER_TURN = 4096;

const COUNTED = 0;
const SKIPPED = 1;
const TOO_LARGE = 2;

/** A count: a non-negative safe integer, or (our agent's exact form for large values) a string of decimal digits. */
function isCount(v: unknown): v is number | string {
  if (typeof v === 'string') return COUNT_TEXT.test(v);
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export interface ParsedPush {
  /** Per user (ascending id): the merged entries with the rate applied, 0/0 rows left out. */
  rows: UserRows;
  /** The same rows' bytes as measured, before the rate (reports with rate=raw). */
  raw: RawBytes;
  /** pushDigest() of the entries as measured (before the rate) and the measurement time. */
  digest: bigint;
}

export class PushEntries {
  /** One slot per key kept (uid, up, down as the key gave them) and its state. */
  private readonly slots = new UserRows(1024);
  private state = new Uint8Array(1024);
  private lastUid = -1;
  /** Slots by key text; made only once a key comes out of ascending order or in another spelling. */
  private byKey: Map<string, number> | undefined;

  /** One entry of the map, as the body gives it: `value` is the entry's array of scalars, or null for anything else. */
  set(key: string, value: readonly unknown[] | null): void {
    if (!USER_KEY.test(key)) return;
    let state = SKIPPED;
    let up = 0n;
    let down = 0n;
    if (value && value.length === 2 && isCount(value[0]) && isCount(value[1])) {
      up = BigInt(value[0]);
      down = BigInt(value[1]);
      state = up > STORE_MAX || down > STORE_MAX ? TOO_LARGE : COUNTED;
      if (state === TOO_LARGE) up = down = 0n;
    }
    const uid = Number(key);
    if (this.byKey === undefined && uid > this.lastUid && CANONICAL_KEY.test(key)) {
      // The usual push: ascending canonical ids, so this key was not seen before.
      if (state === SKIPPED) return;
      this.add(uid, up, down, state);
      this.lastUid = uid;
      return;
    }
    if (this.byKey === undefined) {
      this.byKey = new Map();
      for (let i = 0; i < this.slots.length; i++) this.byKey.set(String(this.slots.userId[i]), i);
    }
    const slot = this.byKey.get(key);
    if (slot === undefined) {
      if (state !== SKIPPED) this.byKey.set(key, this.add(uid, up, down, state));
      return;
    }
    this.slots.u[slot] = up;
    this.slots.d[slot] = down;
    this.state[slot] = state;
  }

  /**
   * The rows with `rate` applied and the push's digest, or 'too-large'. Works through the users in steps of
   * USERS_PER_TURN, returning to the event loop between them.
   */
  async finish(rate: string, measuredAt: number | undefined): Promise<ParsedPush | 'too-large'> {
    const { length: n, userId, u: ups, d: downs } = this.slots;
    for (let i = 0; i < n; i++) if (this.state[i] === TOO_LARGE) return 'too-large';
    const order = this.byKey ? this.sortedSlots() : undefined;
    const times = rateMultiplier(rate);
    const digest = new PushDigest(measuredAt);
    const rows = new UserRows(n);
    const raw: RawBytes = { u: new BigInt64Array(n), d: new BigInt64Array(n) };
    let i = 0;
    let nextYield = USERS_PER_TURN;
    while (i < n) {
      const s = order ? order[i] : i;
      i++;
      if (this.state[s] === SKIPPED) continue;
      const uid = userId[s];
      let u = ups[s];
      let d = downs[s];
      // Other spellings of the same user id sort next to it.
      for (; i < n && order && userId[order[i]] === uid; i++)
        if (this.state[order[i]] !== SKIPPED) {
          u += ups[order[i]];
          d += downs[order[i]];
        }
      if (u > STORE_MAX || d > STORE_MAX) return 'too-large';
      digest.add(uid, u, d);
      const ru = times(u);
      const rd = times(d);
      if (ru > STORE_MAX || rd > STORE_MAX) return 'too-large';
      if (ru !== 0n || rd !== 0n) {
        raw.u[rows.length] = u;
        raw.d[rows.length] = d;
        rows.push(uid, ru, rd);
      }
      if (i >= nextYield) {
        nextYield = i + USERS_PER_TURN;
        await nextTurn();
      }
    }
    return { rows, raw, digest: digest.digest() };
  }

  private add(uid: number, up: bigint, down: bigint, state: number): number {
    const i = this.slots.length;
    this.slots.push(uid, up, down);
    if (i === this.state.length) {
      const grown = new Uint8Array(this.slots.userId.length);
      grown.set(this.state);
      this.state = grown;
    }
    this.state[i] = state;
    return i;
  }

  private sortedSlots(): Uint32Array {
    const { length, userId } = this.slots;
    const order = new Uint32Array(length);
    for (let i = 0; i < length; i++) order[i] = i;
    return order.sort((a, b) => userId[a] - userId[b]);
  }
}
