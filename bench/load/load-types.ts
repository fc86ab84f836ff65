import type { LatencySummary } from '../lib/stats';

/** What one load run sends: `connections` keep-alive connections for `durationSec`. */
export interface LoadSpec {
  urls: string[];
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationSec: number;
}

export interface LoadResult {
  /** 2xx answers. */
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  /** 2xx answers per second of wall time. */
  rps: number;
  /** Of 2xx answers, in milliseconds. */
  latency: LatencySummary;
}
