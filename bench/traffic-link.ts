/**
 * Steady traffic on a counted interface, for benches that run the agent on the real /proc: a veth pair whose far end
 * lives in a network namespace of its own, and a small UDP datagram sent across it every `everyMs` (to the discard
 * port, so the namespace answers ICMP port unreachable: both RX and TX move). On an idle build machine no counted
 * interface moves, so every tick would carry no record; on an operator's node every tick does.
 *
 * The traffic stays between this machine and the namespace the bench made, on addresses it assigned there, and is
 * bounded: `bytes` per datagram while the link runs. Needs root and `ip` (iproute2).
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';

export interface TrafficLink {
  /** What the link sends, over which interface (the host's end of the pair, which the agent counts). */
  readonly describe: string;
  stop(): Promise<void>;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`ip ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || `exit ${r.status}`}`);
}

/** Sets the link up and starts the datagrams; throws, having undone what it did, when it cannot. */
export async function startTrafficLink(opts: { everyMs: number; bytes: number }): Promise<TrafficLink> {
  if (process.getuid?.() !== 0) throw new Error('needs root (a veth pair and a network namespace)');
  const tag = `tafp${process.pid % 100_000}`;
  const iface = `${tag}a`;
  const ns = `ta-footprint-${process.pid}`;
  // A /30 of the bench's own, so that two benches at once do not share a route.
  const net = `10.254.${process.pid % 256}`;
  const [hostAddr, peerAddr] = [`${net}.1`, `${net}.2`];
  const undo = () => {
    process.removeListener('exit', undo);
    spawnSync('ip', ['netns', 'del', ns]); // takes the far end, and with it the pair
    spawnSync('ip', ['link', 'del', iface]);
  };
  // A bench that throws or exits early still takes the pair and the namespace away (not on a signal: those end the
  // process without 'exit'; `ip netns list` then shows a leftover ta-footprint-PID).
  process.once('exit', undo);
  try {
    ip('netns', 'add', ns);
    ip('link', 'add', iface, 'type', 'veth', 'peer', 'name', `${tag}b`);
    ip('link', 'set', `${tag}b`, 'netns', ns);
    ip('addr', 'add', `${hostAddr}/30`, 'dev', iface);
    ip('link', 'set', iface, 'up');
    ip('-n', ns, 'addr', 'add', `${peerAddr}/30`, 'dev', `${tag}b`);
    ip('-n', ns, 'link', 'set', `${tag}b`, 'up');
  } catch (err) {
    undo();
    throw err;
  }
  const socket = createSocket('udp4');
  socket.on('error', () => undefined); // ICMP unreachable comes back as ECONNREFUSED on some sends: expected
  await new Promise<void>((resolve) => socket.bind(0, hostAddr, resolve));
  const payload = Buffer.alloc(opts.bytes, 0x61);
  const timer = setInterval(() => socket.send(payload, 9, peerAddr), opts.everyMs);
  return {
    describe: `a ${opts.bytes}-byte UDP datagram every ${opts.everyMs} ms over ${iface} (veth into namespace ${ns})`,
    async stop() {
      clearInterval(timer);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      undo();
    },
  };
}
