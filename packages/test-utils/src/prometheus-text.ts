// parse-prometheus-text-format ships no types; this is the part of its output the tests read.
// @ts-expect-error: untyped CommonJS module
import parsePrometheus from 'parse-prometheus-text-format';

export interface PrometheusSample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface PrometheusFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: PrometheusSample[];
}

/** Prometheus text exposition, read by a real parser (a format error throws). */
export function parsePrometheusText(text: string): Map<string, PrometheusFamily> {
  const families = (parsePrometheus as (text: string) => PrometheusFamily[])(text);
  return new Map(families.map((family) => [family.name, family]));
}
