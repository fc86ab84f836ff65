import type { Config } from '@repo/config';
import {
  dataKeys,
  type QueryQueue,
  type RedisClient,
  sweepExpiredJobs,
  tenantStoredBytes,
} from '@repo/queue';
import type { ObjectStore } from '@repo/storage';
import type { Logger } from 'pino';

/** Removes a job's result file from the store, giving its bytes back to the tenant's total. */
async function removeResultFile(
  config: Pick<Config, 'QUEUE_PREFIX'>,
  redis: RedisClient,
  store: ObjectStore,
  job: { jobId: string; tenant: string },
): Promise<void> {
  const key = dataKeys.result(job.tenant, job.jobId);
  const found = await store.head(key);
  if (found === null) return;
  await store.delete(key);
  await tenantStoredBytes.release(redis, config.QUEUE_PREFIX, job.tenant, found.size);
}

/**
 * Every worker sweeps expired jobs on a timer; replicas doing it at once is safe (see
 * sweepExpiredJobs). Returns a stop function.
 */
export function startRetentionSweeps(
  config: Pick<Config, 'QUEUE_PREFIX' | 'RESULT_TTL_SECONDS' | 'RETENTION_SWEEP_INTERVAL_MS' | 'DATA_DIR'>,
  redis: RedisClient,
  queue: QueryQueue,
  store: ObjectStore,
  logger: Logger,
): () => Promise<void> {
  let running: Promise<void> | null = null;
  const sweep = () => {
    if (running !== null) return;
    running = sweepExpiredJobs({
      redis,
      queue,
      prefix: config.QUEUE_PREFIX,
      ttlSeconds: config.RESULT_TTL_SECONDS,
      removeJobFiles: (job) => removeResultFile(config, redis, store, job),
    })
      .then((removed) => {
        if (removed > 0) logger.info({ removed }, 'expired jobs removed');
      })
      .catch((error: unknown) =>
        logger.warn({ err: error instanceof Error ? error.message : error }, 'retention sweep failed'),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(sweep, config.RETENTION_SWEEP_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
