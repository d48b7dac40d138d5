/**
 * Child process of bench/collector-flood.ts: `clients` loops that each send one push after another to the collector
 * for `seconds`, over their own connection, as fast as the collector lets them. Mode "unauth": 32 MiB pushes with a
 * wrong token (written in full, as a hostile client would); mode "auth": the largest push the collector accepts
 * (maxUsersPerPush users, padded with whitespace to just under pushBodyLimitBytes). Reports answers by status.
 */
import { request } from 'node:http';
import { UNIPROXY_PUSH_PATH } from '../src/protocol/uniproxy.js';

const [mode, port, nodeId, token, clients, seconds, users, limit] = process.argv.slice(2);

function pushBody(): Buffer {
  const parts: string[] = [];
  for (let u = 1; u <= Number(users); u++) parts.push(`"${u}":[1000000007,2000000011]`);
  const json = `{${parts.join(',')}}`;
  const size = mode === 'unauth' ? 32 * 1024 * 1024 : Number(limit) - 1024;
  return Buffer.concat([
    Buffer.from(json.slice(0, -1)),
    Buffer.alloc(Math.max(0, size - json.length), ' '),
    Buffer.from('}'),
  ]);
}

const body = pushBody();
const path =
  mode === 'unauth'
    ? `${UNIPROXY_PUSH_PATH}?node_id=${nodeId}&token=wrong-token-${process.pid}`
    : `${UNIPROXY_PUSH_PATH}?node_id=${nodeId}&token=${token}`;
const statuses = new Map<string, number>();
const until = Date.now() + Number(seconds) * 1000;

function once(): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: Number(port), method: 'POST', path, headers: { 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(String(res.statusCode)));
        res.on('error', () => resolve(String(res.statusCode)));
      },
    );
    // A refused push is answered and its connection closed while we still write: that reset is the expected end.
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    req.end(body);
  });
}

async function loop(): Promise<void> {
  while (Date.now() < until) {
    const s = await once();
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
}

await Promise.all(Array.from({ length: Number(clients) }, loop));
process.send?.({ statuses: Object.fromEntries(statuses), bodyBytes: body.length });
process.exit(0);
