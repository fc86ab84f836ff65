/** Sizes and durations of one run: the full run (~10 minutes) or --quick (under a minute). */
export interface Settings {
  quick: boolean;
  /** A/B rounds of the HTTP pairs, and seconds of load in each. */
  httpRounds: number;
  httpSeconds: number;
  warmSeconds: number;
  connections: number;
  /** Pair 3: jobs per round for the service; the raw trivial processor gets more, to run long enough. */
  throughputJobs: number;
  rawThroughputJobs: number;
  throughputRounds: number;
  /** Pair 4: submits per second, seconds per round, rounds. */
  latencyRate: number;
  latencySeconds: number;
  latencyRounds: number;
  /** Pairs 5 and 6: rows of the generated dataset, rounds of each. */
  bigRows: number;
  ingestRounds: number;
  aggregationRounds: number;
  /** Pair 8: rounds of the cold-cache run (each on a freshly started worker with an empty DATA_DIR). */
  objectStoreColdRounds: number;
  /** Pair 7. */
  mediumRows: number;
  scaleJobsPerWorker: number;
  scaleWorkers: number[];
  scaleRounds: number;
  scaleApis: number[];
  /** Seconds of load while the API runs under --cpu-prof (0: no profile). */
  profileSeconds: number;
  /** The service worker's WORKER_CONCURRENCY, which the raw worker matches. */
  workerConcurrency: number;
}

export const FULL: Settings = {
  quick: false,
  httpRounds: 3,
  httpSeconds: 5,
  warmSeconds: 2,
  connections: 10,
  throughputJobs: 1_500,
  rawThroughputJobs: 6_000,
  throughputRounds: 3,
  latencyRate: 25,
  latencySeconds: 8,
  latencyRounds: 3,
  bigRows: 10_000_000,
  ingestRounds: 3,
  aggregationRounds: 5,
  objectStoreColdRounds: 3,
  mediumRows: 1_000_000,
  scaleJobsPerWorker: 40,
  scaleWorkers: [1, 2, 4],
  scaleRounds: 2,
  scaleApis: [1, 2],
  profileSeconds: 6,
  workerConcurrency: 2,
};

export const QUICK: Settings = {
  quick: true,
  httpRounds: 2,
  httpSeconds: 0.6,
  warmSeconds: 0,
  connections: 10,
  throughputJobs: 100,
  rawThroughputJobs: 400,
  throughputRounds: 2,
  latencyRate: 40,
  latencySeconds: 1,
  latencyRounds: 2,
  bigRows: 100_000,
  ingestRounds: 2,
  aggregationRounds: 2,
  objectStoreColdRounds: 1,
  mediumRows: 50_000,
  scaleJobsPerWorker: 10,
  scaleWorkers: [1, 2],
  scaleRounds: 1,
  scaleApis: [1, 2],
  profileSeconds: 0,
  workerConcurrency: 2,
};
