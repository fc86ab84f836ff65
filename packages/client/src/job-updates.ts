import { sleep } from './http-transport';
import { type Job, TERMINAL_JOB_STATUSES } from './types';

export interface PollingOptions {
  /** The first pause between two reads of a job (default 250 ms)... */
  initialDelayMs?: number;
  /** ...doubling up to this (default 2 s). */
  maxDelayMs?: number;
}

/** The pause before the read after `reads` reads: 250, 500, 1000, 2000, 2000, … ms by default. */
export function pollDelay(reads: number, options: PollingOptions = {}): number {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 2_000;
  return Math.min(max, initial * 2 ** Math.max(0, reads - 1));
}

export function isTerminal(job: Pick<Job, 'status'>): boolean {
  return TERMINAL_JOB_STATUSES.includes(job.status);
}

/**
 * How the SDK learns what a job is doing: a source of the job as it is seen, ending after
 * its terminal state — Server-Sent Events (event-stream-updates.ts), or polling
 * `GET /v1/jobs/{id}` (below), which is also the events source's fallback.
 */
export type JobUpdates = (jobId: string, signal: AbortSignal | undefined) => AsyncIterable<Job>;

export function pollingJobUpdates(
  getJob: (jobId: string, signal: AbortSignal | undefined) => Promise<Job>,
  options: PollingOptions = {},
): JobUpdates {
  return async function* poll(jobId, signal) {
    for (let reads = 1; ; reads += 1) {
      const job = await getJob(jobId, signal);
      yield job;
      if (isTerminal(job)) return;
      await sleep(pollDelay(reads, options), signal);
    }
  };
}

/**
 * The updates with the repeats left out: a job is passed on when its status or progress moved,
 * or its progress became measured.
 */
export async function* changesOf(updates: AsyncIterable<Job>): AsyncGenerator<Job> {
  let last: Pick<Job, 'status' | 'progress' | 'progress_measured'> | null = null;
  for await (const job of updates) {
    if (
      last === null ||
      job.status !== last.status ||
      job.progress !== last.progress ||
      job.progress_measured !== last.progress_measured
    ) {
      last = { status: job.status, progress: job.progress, progress_measured: job.progress_measured };
      yield job;
    }
  }
}
