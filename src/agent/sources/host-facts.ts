/** Host facts for the heartbeat, from systeminformation. Gathered at start and refreshed rarely, never per tick. */
import type { HostFacts } from '../../protocol/heartbeat.js';

export async function gatherHostFacts(): Promise<HostFacts> {
  const si = (await import('systeminformation')).default;
  const [os, mem, cpu] = await Promise.all([si.osInfo(), si.mem(), si.cpu()]);
  return {
    hostname: os.hostname.slice(0, 255),
    os: `${os.distro} ${os.release}`.trim().slice(0, 255),
    kernel: os.kernel.slice(0, 255),
    arch: os.arch.slice(0, 64),
    cpus: cpu.cores,
    memTotalBytes: String(Math.max(0, Math.trunc(mem.total))),
  };
}
