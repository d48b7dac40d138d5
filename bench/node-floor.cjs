/**
 * The floor under any agent written for Node: a process that does what a traffic-agent tick asks of the kernel, with
 * as little JavaScript as it can. bench:footprint runs it beside the agent to show how much of a tick is Node itself.
 *
 *   node bench/node-floor.cjs CONFIG.json PATH   (the agent's config: collector.url, node.token, heartbeatIntervalSec;
 *                                                 PATH: the heartbeat's, HEARTBEAT_PATH of src/protocol/heartbeat.ts)
 *
 * Every interval: reads /proc/net/dev, boot_id, /proc/stat, /proc/uptime and /proc/loadavg; sums the counters of the
 * interfaces other than lo*; writes a small state to two files in place, each made durable (fdatasync) before the
 * next; POSTs one heartbeat with a record on a kept connection, with a deadline timer cleared by the answer's first
 * bytes. It keeps no outbox, parses no answer, checks nothing and retries nothing: it promises none of what the agent
 * promises. Its state files go in the config file's directory, its heartbeats to the collector the config names.
 */
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const [configFile, endpoint] = process.argv.slice(2);
if (!configFile || !endpoint) {
  console.error('usage: node bench/node-floor.cjs CONFIG.json HEARTBEAT_PATH');
  process.exit(2);
}
const cfg = JSON.parse(fs.readFileSync(configFile, 'utf8'));
const url = new URL(cfg.collector.url);
const heartbeatPath = `${url.pathname.replace(/\/+$/, '')}${endpoint}`;
const everyMs = cfg.heartbeatIntervalSec * 1000;
const stateFiles = ['floor-state.json', 'floor-state.json.bak'].map((f) => path.join(path.dirname(configFile), f));
const epoch = require('node:crypto').randomBytes(8).toString('hex');
const buffer = Buffer.allocUnsafe(16 * 1024);

function read(file) {
  const fd = fs.openSync(file, 'r');
  let n = 0;
  for (let k; (k = fs.readSync(fd, buffer, n, buffer.length - n, null)) > 0; ) n += k;
  fs.closeSync(fd);
  return buffer.toString('utf8', 0, n);
}

function writeDurably(file, text) {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o600);
  fs.writeSync(fd, text, 0);
  fs.fdatasyncSync(fd);
  fs.closeSync(fd);
}

let socket = null;
let deadline = null;
function connection() {
  if (socket) return socket;
  socket = net.connect({
    host: url.hostname,
    port: Number(url.port),
    onread: {
      buffer: Buffer.allocUnsafe(16 * 1024),
      callback: () => {
        clearTimeout(deadline);
        return true;
      },
    },
  });
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.on('close', () => {
    socket = null;
  });
  return socket;
}

let seq = 0;
let last = null;
function tick() {
  const at = Date.now();
  const dev = read('/proc/net/dev');
  const bootId = read('/proc/sys/kernel/random/boot_id').trim();
  read('/proc/stat');
  const uptimeSec = Number(read('/proc/uptime').split(' ')[0]);
  const load = read('/proc/loadavg').split(' ', 3).map(Number);
  let rx = 0n;
  let tx = 0n;
  for (const line of dev.split('\n').slice(2)) {
    const [name, counters] = line.split(':');
    if (counters === undefined || name.trim().startsWith('lo')) continue;
    const f = counters.trim().split(/\s+/);
    rx += BigInt(f[0]);
    tx += BigInt(f[8]);
  }
  const records = last ? [{ seq: ++seq, from: last.at, to: at, rx: `${rx - last.rx}`, tx: `${tx - last.tx}` }] : [];
  last = { at, rx, tx };
  const state = JSON.stringify({ epoch, seq, at, rx: `${rx}`, tx: `${tx}` });
  for (const file of stateFiles) writeDurably(file, state);
  const body = JSON.stringify({
    epoch,
    records,
    load,
    uptimeSec,
    bootId,
    agentVersion: 'node-floor',
    sentAt: Date.now(),
  });
  connection().write(
    `POST ${heartbeatPath} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${cfg.node.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  deadline = setTimeout(() => socket?.destroy(), cfg.collector.timeoutMs);
  setTimeout(tick, everyMs - (Date.now() % everyMs));
}

// The first tick at once, as the agent's (its baseline); the next ones on the interval's grid.
tick();
process.on('SIGTERM', () => process.exit(0));
