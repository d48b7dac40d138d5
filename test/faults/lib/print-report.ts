/** One readable block per fault run: seed, what was injected, and expected vs got. */
import type { ScenarioReport } from './scenario.js';

const SHOWN = [
  'agentKills',
  'agentRestarts',
  'collectorKills',
  'collectorRestarts',
  'truncations',
  'stateRecovered',
  'refused',
  'delayed',
  'cut',
  'dropped',
  'doubled',
  'upstreamDown',
  'failovers',
  'duplicatesRejected',
  'userPushReplays',
  'reboots',
  'resets',
  'jumps',
  'wraps',
  'clockSteps',
  'ifaceAdded',
  'ifaceRemoved',
  'proxyRestarts',
  'agentDetected_reboots',
  'agentDetected_resets',
  'agentDetected_wraps',
  'agentDetected_proxyRestarts',
];

export function formatReport(title: string, r: ScenarioReport): string {
  const c = r.counts;
  const pairs = SHOWN.filter((k) => k in c).map((k) => `${k}=${c[k]}`);
  const rows: string[] = [];
  for (let i = 0; i < pairs.length; i += 6) rows.push(`  ${pairs.slice(i, i + 6).join('  ')}`);
  return [
    `${title}: ${r.ok ? 'EXACT' : 'MISMATCH'} (seed ${r.seed}, ${r.seconds.toFixed(1)} s, ${c.requests ?? 0} requests through the fault proxy)`,
    ...rows,
    ...r.comparison.lines.map((l) => `  ${l}`),
    ...(r.ok ? [] : [r.diagnosis]),
  ].join('\n');
}
