import { Job } from 'bullmq';
import type { AppDeps } from '../../app-deps';

/**
 * Resolves when the job has completed or failed, or after `ms`, whichever comes first.
 * It listens on the API's one QueueEvents stream (no polling, no connection per wait) and
 * checks the job's state after subscribing, so an end that came first is not missed.
 * The caller reads the status afterwards: this says nothing about how the job ended.
 */
export async function waitForJobEnd(
  deps: Pick<AppDeps, 'queue' | 'queueEvents'>,
  jobId: string,
  ms: number,
): Promise<void> {
  if (ms <= 0) return;
  const job = new Job(deps.queue, '', {}, {}, jobId);
  await job.waitUntilFinished(deps.queueEvents, ms).catch(() => undefined);
}
