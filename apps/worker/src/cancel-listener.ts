import { cancelSignal, type RedisClient, whenReady } from '@repo/queue';
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
  worker: Pick<Worker, 'cancelJob'>,
  logger: Logger,
): Promise<void> {
  const channel = cancelSignal.channel(prefix);
  subscriber.on('message', (from: string, jobId: string) => {
    if (from !== channel) return;
    if (worker.cancelJob(jobId, INTERRUPT_REASONS.cancelled))
      logger.info({ jobId }, 'cancelling a running job');
  });
  // ioredis writes SUBSCRIBE at once while its handshake (CLIENT SETINFO, the INFO ready
  // check) is still under way; those then fail in subscriber mode and the subscription is
  // silently lost. So subscribe only once the connection is ready, however long that takes.
  await whenReady(subscriber, Number.POSITIVE_INFINITY);
  await subscriber.subscribe(channel);
}
