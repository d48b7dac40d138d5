/**
 * The real collector binary (bin/traffic-collector.js) for fault runs: register nodes with `node add`, serve on a
 * fixed 127.0.0.1 port (so it can be SIGKILLed and started again behind the fault proxy), and read its API.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from 'undici';
import { Child } from './child.js';

export const COLLECTOR_BIN = fileURLToPath(new URL('../../../bin/traffic-collector.js', import.meta.url));
const run = promisify(execFile);

export async function addNode(db: string, name: string, rate = '1'): Promise<{ id: number; token: string }> {
  const { stdout } = await run(process.execPath, [
    COLLECTOR_BIN,
    'node',
    'add',
    '--name',
    name,
    '--rate',
    rate,
    '--db',
    db,
  ]);
  return JSON.parse(stdout) as { id: number; token: string };
}

export interface NodeTotals {
  id: number;
  rx: bigint;
  tx: bigint;
}

export class CollectorProcess extends Child {
  readonly url: string;

  constructor(
    readonly label: string,
    readonly port: number,
    readonly db: string,
    readonly adminToken: string,
    dir: string,
    opts: { logLevel?: string } = {},
  ) {
    const cfgFile = join(dir, `${label}.json`);
    writeFileSync(
      cfgFile,
      JSON.stringify({ logLevel: opts.logLevel ?? 'info', heartbeatIntervalSec: 1, authFailuresPerMinute: 1_000_000 }),
    );
    super(
      label,
      () => [
        COLLECTOR_BIN,
        'serve',
        '--config',
        cfgFile,
        '--listen',
        `127.0.0.1:${port}`,
        '--db',
        db,
        '--admin-token',
        adminToken,
      ],
      join(dir, `${label}.log`),
    );
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts and waits until it listens. */
  async up(ms = 20_000): Promise<void> {
    const from = this.lines().length;
    this.start();
    await this.waitFor('traffic-collector listening on', ms, from);
  }

  private async get(path: string): Promise<unknown> {
    const res = await request(new URL(path, this.url), { headers: { authorization: `Bearer ${this.adminToken}` } });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${this.label} GET ${path}: ${res.statusCode} ${text.slice(0, 300)}`);
    return JSON.parse(text);
  }

  async nodeTotals(): Promise<Map<number, NodeTotals>> {
    const body = (await this.get('/api/v1/nodes')) as {
      nodes: Array<{ id: number; traffic: { totalRx: string; totalTx: string } }>;
    };
    return new Map(
      body.nodes.map((n) => [n.id, { id: n.id, rx: BigInt(n.traffic.totalRx), tx: BigInt(n.traffic.totalTx) }]),
    );
  }

  /** Per node: one user's upload and download over [from, to). */
  async userTraffic(userId: number, from: number, to: number): Promise<Map<number, { u: bigint; d: bigint }>> {
    const body = (await this.get(`/api/v1/users/${userId}/traffic?from=${from}&to=${to}`)) as {
      nodes: Array<{ nodeId: number | null; u: string; d: string }>;
    };
    return new Map(body.nodes.map((n) => [n.nodeId ?? 0, { u: BigInt(n.u), d: BigInt(n.d) }]));
  }

  /** A counter from /metrics, or null. */
  async metric(name: string): Promise<number | null> {
    const res = await request(new URL('/metrics', this.url));
    const text = await res.body.text();
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  }
}
