import {
  announceJobEnded,
  cancelSignal,
  cancelUnclaimedJob,
  jobKey,
  type RedisClient,
  type WebhookQueue,
  ZRunQueryPayload,
} from '@repo/queue';
import type { AppDeps } from '../../app-deps';

/**
 * Starts cancelling a job: one no worker holds is failed at once, atomically (and its end
 * announced from here, since no worker will); a running one is told to stop, through
 * Redis, whichever worker holds it. Returns without waiting for the end.
 */
export async function requestCancel(
  deps: Pick<AppDeps, 'config'> & { redis: RedisClient; webhooks: WebhookQueue },
  jobId: string,
): Promise<void> {
  const { config, redis } = deps;
  const outcome = await cancelUnclaimedJob(redis, config.QUEUE_PREFIX, jobId);
  if (outcome === 'active') await cancelSignal.request(redis, config.QUEUE_PREFIX, jobId);
  if (outcome === 'cancelled') {
    const data = await redis.hget(jobKey(config.QUEUE_PREFIX, jobId), 'data');
    const payload = ZRunQueryPayload.safeParse(JSON.parse(data ?? '{}'));
    if (payload.success) await announceJobEnded(redis, deps.webhooks, config, jobId, payload.data);
  }
}
