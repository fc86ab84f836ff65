import type { JobErrorCode } from '@repo/contracts';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface WorkerMetrics {
  registry: Registry;
  jobStarted(): void;
  jobEnded(
    outcome: 'succeeded' | 'failed' | 'handed_back',
    errorCode: JobErrorCode | null,
    seconds: number,
  ): void;
}

/** A worker's metrics, in a registry of its own, served on WORKER_METRICS_PORT. */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const outcomes = new Counter({
    name: 'analytics_jobs_total',
    help: 'Query jobs run by this worker, by outcome and error_code (attempts, so a retried job counts each time)',
    labelNames: ['status', 'error_code'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'analytics_job_duration_seconds',
    help: 'Time one attempt of a query job ran in this worker, by outcome and error_code',
    labelNames: ['status', 'error_code'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [registry],
  });
  const active = new Gauge({
    name: 'analytics_jobs_active',
    help: 'Query jobs this worker is running now',
    registers: [registry],
  });
  return {
    registry,
    jobStarted: () => active.inc(),
    jobEnded(outcome, errorCode, seconds) {
      active.dec();
      const labels = { status: outcome, error_code: errorCode ?? '' };
      outcomes.inc(labels);
      durations.observe(labels, seconds);
    },
  };
}
