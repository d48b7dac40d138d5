/**
 * The streamed push (panel-body.ts + push-entries.ts) means what JSON.parse of the whole body followed by the panel's
 * reading of it means: same rows, same 'too-large' verdicts, same digest. The reference below is that reading as it
 * was written before the body was streamed (an object, a Map per user, one digest over all entries).
 */
import { describe, expect, it } from 'vitest';
import { readPanelBody } from '../../src/collector/panel-body.js';
import { STORE_MAX } from '../../src/collector/store/store.js';
import { rateMultiplier } from '../../src/collector/user-push.js';
import { createRng } from '../../src/loadgen/rng.js';
import { pushDigest } from '../../src/protocol/record-digest.js';
import { parsePushBodyText } from '../../src/protocol/uniproxy.js';

type Rows = Array<[number, bigint, bigint]>;

function isCount(v: unknown): v is number | string {
  if (typeof v === 'string') return /^(0|[1-9][0-9]{0,19})$/.test(v);
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** JSON.parse, then the panel's reading of the object: the meaning the streamed reader must keep. */
function reference(text: string, rate: string, measuredAt?: number): { rows: Rows; digest: bigint } | 'too-large' {
  const body = parsePushBodyText(text) as Record<string, unknown>;
  const byUser = new Map<number, [bigint, bigint]>();
  for (const [key, v] of Object.entries(body)) {
    if (!/^\d{1,15}$/.test(key) || !Array.isArray(v) || v.length !== 2) continue;
    const [up, down] = v as unknown[];
    if (!isCount(up) || !isCount(down)) continue;
    if (BigInt(up) > STORE_MAX || BigInt(down) > STORE_MAX) return 'too-large';
    const cur = byUser.get(Number(key)) ?? [0n, 0n];
    cur[0] += BigInt(up);
    cur[1] += BigInt(down);
    byUser.set(Number(key), cur);
  }
  const rows: Rows = [];
  const times = rateMultiplier(rate);
  for (const [uid, [u, d]] of byUser) {
    // A user's sum over 2^63-1 is refused whatever the rate (the streamed reader keeps sums in 64 bits).
    if (u > STORE_MAX || d > STORE_MAX || times(u) > STORE_MAX || times(d) > STORE_MAX) return 'too-large';
    if (times(u) !== 0n || times(d) !== 0n) rows.push([uid, times(u), times(d)]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  return {
    rows,
    digest: pushDigest(
      [...byUser].map(([uid, [u, d]]) => [uid, u, d] as const),
      measuredAt,
    ),
  };
}

async function streamed(text: string, rate: string, chunk: number, measuredAt?: number) {
  const bytes = Buffer.from(text);
  async function* source() {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }
  const body = await readPanelBody(source(), { shape: 'push', limitBytes: 1 << 30, maxUsers: 1_000_000 });
  const entries = body.entries;
  if (!entries) throw new Error(`no entries in ${text.slice(0, 80)}`);
  const parsed = await entries.finish(rate, measuredAt);
  return parsed === 'too-large' ? parsed : { rows: [...parsed.rows] as Rows, digest: parsed.digest };
}

describe('a push read as it streams in', () => {
  it('means what JSON.parse of the whole body means (repeats, spellings, bad values, edges), in any chunking', async () => {
    const rng = createRng(20261130);
    const values = [
      '0',
      '1',
      '17',
      '9007199254740991',
      '9007199254740993',
      '9223372036854775807',
      '9223372036854775808',
      '4611686018427387904',
      '1.5',
      '1e3',
      '-1',
      '"12"',
      '"012"',
      'null',
      'true',
      '[1]',
      '{"a":1}',
    ];
    const keys = ['1', '2', '02', '3', '10', '007', '7', '999999999999999', '1000000000000000', 'x', '', '-1', '1.0'];
    const rates = ['1', '0.5', '1.25', '3'];
    for (let round = 0; round < 300; round++) {
      const parts: string[] = [];
      const n = rng.int(0, 12);
      for (let i = 0; i < n; i++) {
        const value = rng.chance(0.8)
          ? `[${rng.pick(values)},${rng.pick(values)}]`
          : rng.pick(['[1,2,3]', '7', '"a"', 'null', '[]', '{"1":[1,2]}', '[[1],2]']);
        parts.push(`${JSON.stringify(rng.pick(keys))}:${value}`);
      }
      const text = `{${parts.join(rng.pick([',', ' , ', ',\n']))}}`;
      const rate = rng.pick(rates);
      const measuredAt = rng.chance(0.5) ? 1_764_000_000_000 + round : undefined;
      const want = reference(text, rate, measuredAt);
      for (const chunk of [1, 3, 64 * 1024])
        expect(await streamed(text, rate, chunk, measuredAt), `${text} at rate ${rate}`).toEqual(want);
    }
  });

  it('reads 100,000 users in ascending order into the same rows and digest', async () => {
    const parts: string[] = [];
    for (let u = 1; u <= 100_000; u++)
      parts.push(`"${u}":[${u * 3},${u % 7 === 0 ? 0 : 9_000_000_000_000_000_000n + BigInt(u)}]`);
    const text = `{${parts.join(',')}}`;
    const got = await streamed(text, '1', 65_536, 1_764_000_000_000);
    expect(got).toEqual(reference(text, '1', 1_764_000_000_000));
    expect(got !== 'too-large' && got.rows.length).toBe(100_000);
  });
});
