/** `traffic-agent status`: local totals and period totals, pending records, last delivery; reads the state, changes nothing. */
import { loadConfig } from '../config/load-config.js';
import { StateStore } from '../state/state-store.js';

export async function statusCommand(file: string, json: boolean): Promise<void> {
  const cfg = loadConfig(file);
  const store = new StateStore(cfg.stateDir);
  const loaded = await store.load(Date.now(), { readOnly: true });
  const s = loaded.state;
  const out = {
    stateDir: cfg.stateDir,
    source: loaded.source,
    problems: loaded.problems.map((p) => `${p.file}: ${p.reason}`),
    epoch: s?.epoch ?? null,
    totals: { rx: s?.totals.rx ?? '0', tx: s?.totals.tx ?? '0' },
    period: {
      rx: s?.period.rx ?? '0',
      tx: s?.period.tx ?? '0',
      start: s ? new Date(s.period.start).toISOString() : null,
    },
    pending: s?.outbox.length ?? 0,
    nextSeq: s?.nextSeq ?? 1,
    lastSampleAt: s ? new Date(s.lastSampleAt).toISOString() : null,
    lastDelivery: Object.fromEntries(
      Object.entries(s?.lastDelivery ?? {}).map(([k, v]) => [k, new Date(v).toISOString()]),
    ),
    detected: s?.detected ?? null,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  if (!s) {
    process.stdout.write(
      `no state in ${cfg.stateDir} yet (first run pending)${out.problems.length ? `; problems: ${out.problems.join('; ')}` : ''}\n`,
    );
    return;
  }
  process.stdout.write(
    [
      `state      ${cfg.stateDir} (${loaded.source}), epoch ${out.epoch}`,
      `total      rx ${out.totals.rx} B  tx ${out.totals.tx} B`,
      `period     rx ${out.period.rx} B  tx ${out.period.tx} B  since ${out.period.start}`,
      `pending    ${out.pending} record(s)`,
      `delivered  ${
        Object.entries(out.lastDelivery)
          .map(([k, v]) => `${k} at ${v}`)
          .join(', ') || 'never'
      }`,
      '',
    ].join('\n'),
  );
}
