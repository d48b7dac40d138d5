/** `traffic-agent sample`: what the agent sees now, with no state change. */
import { machine } from 'node:os';
import { counterBitsFor } from '../accounting/counter-bits.js';
import { loadConfig } from '../config/load-config.js';
import { readBootIdentity, readUptime } from '../sources/boot.js';
import { interfaceFilter } from '../sources/interface-filter.js';
import { readLoadavg } from '../sources/loadavg.js';
import { readNetDev } from '../sources/net-dev.js';

export async function sampleCommand(file: string, json: boolean): Promise<void> {
  const cfg = loadConfig(file);
  const selected = interfaceFilter(cfg.interfaces.include, cfg.interfaces.exclude);
  const [netDev, boot, uptimeSec] = await Promise.all([
    readNetDev(cfg.procRoot),
    readBootIdentity(cfg.procRoot),
    readUptime(cfg.procRoot),
  ]);
  const load = await readLoadavg(cfg.procRoot).catch((err: Error) => ({ error: err.message }));
  const interfaces = [...netDev.interfaces].map(([name, c]) => ({
    name,
    selected: selected(name),
    rxBytes: c.rxBytes.toString(),
    txBytes: c.txBytes.toString(),
    rxPackets: c.rxPackets.toString(),
    txPackets: c.txPackets.toString(),
  }));
  const out = {
    procRoot: cfg.procRoot,
    counterBits: counterBitsFor(cfg.counterBits, machine()),
    bootId: boot.bootId,
    btime: boot.btime,
    uptimeSec,
    load,
    interfaces,
    problems: netDev.problems,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `boot ${boot.bootId ?? '(no boot id)'} btime ${boot.btime ?? '?'} uptime ${uptimeSec ?? '?'}s counters ${out.counterBits}-bit\n`,
  );
  process.stdout.write(`load ${Array.isArray(load) ? load.join(' ') : `unavailable: ${load.error}`}\n`);
  for (const i of interfaces)
    process.stdout.write(
      `${i.selected ? '*' : ' '} ${i.name.padEnd(16)} rx ${i.rxBytes.padStart(20)}  tx ${i.txBytes.padStart(20)}\n`,
    );
  for (const p of netDev.problems) process.stdout.write(`! ${p}\n`);
  process.stdout.write('(* = counted)\n');
}
