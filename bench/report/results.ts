import type { Comparison, Curve } from '../lib/model';
import type { Settings } from '../lib/settings';

export interface Machine {
  cpuCount: number;
  cpuModel: string;
  memoryGb: number;
  os: string;
  loadBefore: number[];
  loadAfter: number[];
}

export interface ProfileSummary {
  /** What ran under load while the profile was taken. */
  what: string;
  file: string;
  totalMs: number;
  /** Self time by package or area, share of all samples (idle excluded). */
  byArea: { area: string; ms: number; share: number }[];
  /** The heaviest functions by self time. */
  topFunctions: { fn: string; where: string; ms: number; share: number }[];
  /** Own work of each request step (middleware, handler), up to where it hands over. */
  inclusive: { fn: string; where: string; ms: number; share: number }[];
}

/** Everything one run wrote to bench/results/latest.json. */
export interface BenchResults {
  quick: boolean;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  machine: Machine;
  versions: Record<string, string>;
  settings: Settings;
  comparisons: Comparison[];
  curves: Curve[];
  profiles: ProfileSummary[];
}
