/** `traffic-agent report`: the node's own traffic per hour, day and month and its top days, from the local state. */
import { bucketKeys } from '../accounting/rollups.js';
import { loadConfig } from '../config/load-config.js';
import { buildReport, REPORT_KINDS, type ReportKind } from '../report/report-rows.js';
import { reportTable } from '../report/report-table.js';
import { StateStore } from '../state/state-store.js';

export async function reportCommand(file: string, only: readonly ReportKind[], json: boolean): Promise<void> {
  const cfg = loadConfig(file);
  const now = Date.now();
  const loaded = await new StateStore(cfg.stateDir).load(now, { readOnly: true });
  const kinds = only.length > 0 ? only : REPORT_KINDS;
  const timeZone = cfg.period.timezone;
  const s = loaded.state;
  const problems = loaded.problems.map((p) => `${p.file}: ${p.reason}`);
  if (!s?.rollups) {
    const why = s
      ? 'the state was written by an agent without rollups; they begin at its next tick'
      : `no state in ${cfg.stateDir} yet (first run pending)`;
    if (json) process.stdout.write(`${JSON.stringify({ rollups: null, reason: why, problems }, null, 2)}\n`);
    else process.stdout.write(`${why}${problems.length ? `; problems: ${problems.join('; ')}` : ''}\n`);
    return;
  }
  const report = buildReport(s.rollups, kinds, now, timeZone);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...report, totals: s.totals, problems }, null, 2)}\n`);
    return;
  }
  process.stdout.write(reportTable(report, kinds, `node ${cfg.node.id}`, bucketKeys(now, timeZone).day));
}
