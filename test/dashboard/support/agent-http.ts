/** What nodes send, over real HTTP: heartbeats with the node's bearer token, and Xboard-style per-user pushes. */
import { randomBytes } from 'node:crypto';
import type { HeartbeatRequest } from '../../../src/protocol/heartbeat.js';

export interface NodeCreds {
  id: number;
  token: string;
}

export class FakeAgent {
  readonly epoch = randomBytes(8).toString('hex');
  private seq = 0;

  constructor(
    readonly url: string,
    readonly node: NodeCreds,
    readonly load: [number, number, number] = [0.25, 0.5, 0.75],
    readonly uptimeSec = 3 * 86_400 + 4 * 3600 + 5 * 60,
  ) {}

  /** One heartbeat; with rx/tx it carries one record ending now, without it only keeps the node online. */
  heartbeat(traffic?: { rx: bigint; tx: bigint }, now = Date.now()): Promise<void> {
    return this.send(traffic ? [{ to: now, ...traffic }] : [], now);
  }

  /** Records ending at the given times (ascending), in heartbeats of at most 500 records. */
  async history(points: Array<{ to: number; rx: bigint; tx: bigint }>): Promise<void> {
    for (let i = 0; i < points.length; i += 500) await this.send(points.slice(i, i + 500), Date.now());
  }

  private async send(points: Array<{ to: number; rx: bigint; tx: bigint }>, now: number): Promise<void> {
    const body: HeartbeatRequest = {
      epoch: this.epoch,
      records: points.map((p) => ({
        seq: ++this.seq,
        from: p.to - 60_000,
        to: p.to,
        rx: p.rx.toString(),
        tx: p.tx.toString(),
      })),
      load: this.load,
      uptimeSec: this.uptimeSec,
      bootId: null,
      agentVersion: 'dashboard-test',
      sentAt: now,
    };
    const res = await fetch(`${this.url}/api/v1/agent/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.node.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`heartbeat of node ${this.node.id}: ${res.status} ${await res.text()}`);
  }

  async pushUsers(users: Record<string, [number, number]>): Promise<void> {
    const q = new URLSearchParams({ node_id: String(this.node.id), token: this.node.token });
    const res = await fetch(`${this.url}/api/v1/server/UniProxy/push?${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(users),
    });
    if (!res.ok) throw new Error(`push of node ${this.node.id}: ${res.status} ${await res.text()}`);
  }
}
