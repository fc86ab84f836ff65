import type { LatencySummary } from '../lib/stats';

export interface LatencySpec {
  mode: 'service' | 'raw';
  redisUrl: string;
  prefix: string;
  queue: string;
  ratePerSec: number;
  durationSec: number;
  /** service: the run URL, headers and body to POST. */
  url?: string;
  headers: Record<string, string>;
  body: string;
  /** raw: the job data to add. */
  payload: unknown;
}

export interface LatencyResult {
  submitted: number;
  submitErrors: number;
  failed: number;
  missing: number;
  /** Of succeeded jobs, submit to terminal event, in milliseconds. */
  latency: LatencySummary;
}
