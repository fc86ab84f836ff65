import { isServiceFailure, type TRunQueryPayload, ZRunQueryPayload } from '@repo/queue';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';

/**
 * BullMQ fails a job by itself, without calling the processor, when the workers holding it
 * died more often than its stall limit allows. The processor announces every other end of
 * a job (webhooks, batches); this announces those, so that such a job's webhook still comes.
 */
export function announceBullmqFailures(
  worker: Worker,
  announce: (jobId: string, payload: TRunQueryPayload) => Promise<void>,
  logger: Logger,
): void {
  worker.on('failed', (job, error) => {
    // The processor's own failures carry its `<code>: <sentence>` and are announced already.
    if (!job?.id || isServiceFailure(error.message)) return;
    const jobId = job.id;
    void (async () => {
      // Only an end: BullMQ also reports failures it recovers from (a lost lock).
      if ((await job.getState()) !== 'failed') return;
      const payload = ZRunQueryPayload.safeParse(job.data);
      if (!payload.success) return;
      logger.warn({ jobId, reason: error.message }, 'job failed by BullMQ; announcing its end');
      await announce(jobId, payload.data);
    })().catch((announceError: unknown) =>
      logger.error(
        { jobId, err: announceError instanceof Error ? announceError.message : announceError },
        'could not announce the end of a job BullMQ failed',
      ),
    );
  });
}
