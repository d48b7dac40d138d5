/** Parses Prometheus text exposition with a real parser (parse-prometheus-text-format) and finds samples in it. */
import { createRequire } from 'node:module';

interface Metric {
  labels?: Record<string, string>;
  value?: string;
}
export interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: Metric[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[];

export function parsePrometheus(text: string): MetricFamily[] {
  return parse(text);
}

/** The value of the sample of `name` whose labels include `labels`, or undefined. */
export function sampleValue(
  families: MetricFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const fam = families.find((f) => f.name === name);
  const m = fam?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
}
