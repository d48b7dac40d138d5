/**
 * Reads the body of a UniProxy push / v2 report / alive / status request as it arrives, with stream-json's tokenizer:
 * one chunk at a time (the event loop gets control back between socket reads), no copy of the whole text, and no
 * object tree for what the route does not use. It keeps only:
 * - the top-level `token`, `node_id`, `node_type` scalars (the panel lets them travel in the body),
 * - the traffic map (the whole body on a push, `traffic` on a v2 report), entry by entry into PushEntries (typed
 *   columns, no object per user), with counts as JSON.parse + parsePushBodyText would give them (16+ digit integers
 *   as exact strings), a value that is not a two-scalar array given as null, and at most `maxUsers` keys,
 * - whether `status` is an object.
 * Malformed JSON is not an error here: the result says `json: false` and the route answers as the panel does.
 */
import { StringDecoder } from 'node:string_decoder';
import { none } from 'stream-chain/core';
import { jsonParser } from 'stream-json/parser.js';
import { PushEntries } from './push-entries.js';

export type PanelBodyShape = 'push' | 'report' | 'credentials';

export interface PanelBody {
  /** The whole body is valid JSON. */
  json: boolean;
  /** The top level is a JSON object. */
  object: boolean;
  fields: Partial<Record<'token' | 'node_id' | 'node_type', string | number>>;
  /** The traffic map's entries (push: the body itself; report: its `traffic` member, when that is an object). */
  entries?: PushEntries;
  /** report: `traffic` is present but not an object. */
  trafficNotObject?: boolean;
  /** report: `status` is present but not an object. */
  statusNotObject?: boolean;
}

export class BodyTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the body is larger than ${limitBytes} bytes`);
  }
}

export class TooManyUsersError extends Error {
  constructor(readonly maxUsers: number) {
    super(`a push holds at most ${maxUsers} users (maxUsersPerPush)`);
  }
}

const CREDENTIAL_FIELDS = new Set(['token', 'node_id', 'node_type']);
type Token = { name: string; value?: unknown };

/** Turns tokens into a PanelBody; depth-tracking only, never a tree of what it skips. */
class PanelBodyBuilder {
  readonly body: PanelBody = { json: true, object: false, fields: {} };
  private depth = 0;
  private key = '';
  /** Depth at which the traffic map's keys are (1 on a push, 2 inside a report's `traffic`), or 0 when not in it. */
  private mapDepth = 0;
  private users = 0;
  private entry: unknown[] | null | undefined;
  private entryKey = '';
  private notObject = false;

  constructor(
    private readonly shape: PanelBodyShape,
    private readonly maxUsers: number,
  ) {}

  private scalar(t: Token): unknown {
    if (t.name === 'numberValue') {
      const s = t.value as string;
      return /^\d{16,}$/.test(s) ? s : Number(s);
    }
    return t.value;
  }

  /** A value starts (container or scalar) at the current depth, under key `this.key`. */
  private valueAt(t: Token, container: boolean): void {
    const d = this.depth;
    if (d === 0) {
      this.body.object = t.name === 'startObject';
      this.notObject = !this.body.object;
      if (this.body.object && this.shape === 'push') {
        this.mapDepth = 1;
        this.body.entries = new PushEntries();
      }
      return;
    }
    if (d === 1 && !container && CREDENTIAL_FIELDS.has(this.key))
      if (t.name === 'stringValue' || t.name === 'numberValue')
        this.body.fields[this.key as 'token'] = t.name === 'numberValue' ? Number(t.value) : (t.value as string);
    if (this.mapDepth && d === this.mapDepth) {
      // A traffic entry: only `[scalar, scalar]` is kept as is.
      this.entryKey = this.key;
      if (t.name === 'startArray') this.entry = [];
      else this.setEntry(null);
      return;
    }
    if (this.mapDepth && d === this.mapDepth + 1 && this.entry) {
      if (container) this.entry = null;
      else this.entry.push(this.scalar(t));
      return;
    }
    if (d !== 1) return;
    if (this.shape === 'report' && this.key === 'traffic') {
      if (t.name === 'startObject') {
        this.mapDepth = 2;
        this.users = 0;
        this.body.entries = new PushEntries();
        this.body.trafficNotObject = false;
      } else {
        this.body.entries = undefined;
        this.body.trafficNotObject = true;
      }
    }
    if (this.shape === 'report' && this.key === 'status') this.body.statusNotObject = t.name !== 'startObject';
  }

  private setEntry(v: unknown[] | null): void {
    this.body.entries?.set(this.entryKey, v);
    this.entry = undefined;
  }

  take(t: Token): void {
    if (this.notObject) return;
    switch (t.name) {
      case 'startObject':
      case 'startArray':
        this.valueAt(t, true);
        this.depth++;
        return;
      case 'endObject':
      case 'endArray':
        this.depth--;
        if (this.mapDepth && this.depth === this.mapDepth) {
          if (this.entry !== undefined) this.setEntry(this.entry && this.entry.length === 2 ? this.entry : null);
        } else if (this.mapDepth && this.depth === this.mapDepth - 1) this.mapDepth = 0;
        return;
      case 'keyValue':
        this.key = t.value as string;
        if (this.mapDepth && this.depth === this.mapDepth && ++this.users > this.maxUsers)
          throw new TooManyUsersError(this.maxUsers);
        return;
      case 'stringValue':
      case 'numberValue':
      case 'nullValue':
      case 'trueValue':
      case 'falseValue':
        this.valueAt(t, false);
        return;
      default:
        return;
    }
  }
}

/**
 * Reads `source` (the request's body stream) into a PanelBody. Throws BodyTooLargeError past `limitBytes` and
 * TooManyUsersError past `maxUsers`, as soon as either is seen; stops tokenizing (but still drains) after bad JSON.
 */
export async function readPanelBody(
  source: AsyncIterable<Buffer | string>,
  opts: { shape: PanelBodyShape; limitBytes: number; maxUsers: number },
): Promise<PanelBody> {
  const builder = new PanelBodyBuilder(opts.shape, opts.maxUsers);
  const tokenize = jsonParser({ packValues: true, streamValues: false }) as unknown as (
    text: string | typeof none,
  ) => unknown;
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  let seen = false;
  let bad = false;
  const feed = (text: string | typeof none) => {
    if (bad) return;
    try {
      const out = tokenize(text) as { values?: Token[] } | undefined;
      for (const t of out?.values ?? []) builder.take(t);
    } catch (err) {
      if (err instanceof TooManyUsersError) throw err;
      bad = true;
    }
  };
  for await (const chunk of source) {
    bytes += chunk.length;
    if (bytes > opts.limitBytes) throw new BodyTooLargeError(opts.limitBytes);
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (!seen && text.trim() !== '') seen = true;
    feed(text);
  }
  feed(decoder.end());
  feed(none);
  if (bad || !seen) return { json: false, object: false, fields: {} };
  return builder.body;
}
