import { cancelSignal, type RedisClient } from '@repo/queue';
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import { INTERRUPT_REASONS } from './processors/job-failure-error';

/**
 * Listens for cancel requests on their pub/sub channel and aborts the job if this process
 * holds it (BullMQ then hands the processor's AbortSignal the reason, and DuckDB is
 * interrupted). Other processes ignore the message. Subscribing takes a connection of its own.
 */
export async function listenForCancels(
  subscriber: RedisClient,
  prefix: string,
  worker: Worker,
  logger: Logger,
): Promise<void> {
  const channel = cancelSignal.channel(prefix);
  subscriber.on('message', (from: string, jobId: string) => {
    if (from !== channel) return;
    if (worker.cancelJob(jobId, INTERRUPT_REASONS.cancelled))
      logger.info({ jobId }, 'cancelling a running job');
  });
  await subscriber.subscribe(channel);
}
