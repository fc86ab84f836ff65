import { rm, stat } from 'node:fs/promises';
import type { Config } from '@repo/config';
import {
  dataLayout,
  type QueryQueue,
  type RedisClient,
  sweepExpiredJobs,
  tenantStoredBytes,
} from '@repo/queue';
import type { Logger } from 'pino';

/** Removes a job's result file, giving its bytes back to the tenant's stored total. */
async function removeResultFile(
  config: Pick<Config, 'QUEUE_PREFIX' | 'DATA_DIR'>,
  redis: RedisClient,
  job: { jobId: string; tenant: string },
): Promise<void> {
  const path = dataLayout.resultFile(config.DATA_DIR, job.tenant, job.jobId);
  const size = await stat(path).then(
    (found) => found.size,
    () => null,
  );
  if (size === null) return;
  await rm(path, { force: true });
  await tenantStoredBytes.release(redis, config.QUEUE_PREFIX, job.tenant, size);
}

/**
 * Every worker sweeps expired jobs on a timer; replicas doing it at once is safe (see
 * sweepExpiredJobs). Returns a stop function.
 */
export function startRetentionSweeps(
  config: Pick<Config, 'QUEUE_PREFIX' | 'RESULT_TTL_SECONDS' | 'RETENTION_SWEEP_INTERVAL_MS' | 'DATA_DIR'>,
  redis: RedisClient,
  queue: QueryQueue,
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
      removeJobFiles: (job) => removeResultFile(config, redis, job),
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
