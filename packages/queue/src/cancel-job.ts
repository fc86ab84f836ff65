import { formatFailure } from './job-failure';
import { jobKey, QUERY_QUEUE_NAME } from './queue-names';
import type { RedisClient } from './redis-connection';

export const CANCELLED_MESSAGE = 'The job was cancelled before it finished.';

/**
 * Atomically fails a job that no worker holds: one waiting (plain or prioritized) or
 * delayed (a retry's backoff). It leaves the job as BullMQ leaves a failed one — in the
 * failed set, with finishedOn and failedReason, and a `failed` event for QueueEvents
 * listeners. Returns 1 when it did so, 0 when the job is active (a worker holds it),
 * -1 when the job does not exist and -2 when it has already finished.
 */
const CANCEL_UNCLAIMED_JOB = `
local jobKey, jobId, now, reason = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', jobKey) == 0 then return -1 end
if redis.call('HEXISTS', jobKey, 'finishedOn') == 1 then return -2 end
local removed = redis.call('LREM', KEYS[2], 0, jobId)
  + redis.call('LREM', KEYS[3], 0, jobId)
  + redis.call('ZREM', KEYS[4], jobId)
  + redis.call('ZREM', KEYS[5], jobId)
if removed == 0 then return 0 end
redis.call('ZADD', KEYS[6], now, jobId)
redis.call('HSET', jobKey, 'failedReason', reason, 'finishedOn', now)
redis.call('XADD', KEYS[7], 'MAXLEN', '~', 10000, '*', 'event', 'failed', 'jobId', jobId, 'failedReason', reason, 'prev', 'waiting')
return 1
`;

export type CancelOutcome = 'cancelled' | 'active' | 'missing' | 'finished';

const OUTCOMES: Record<string, CancelOutcome> = {
  '1': 'cancelled',
  '0': 'active',
  '-1': 'missing',
  '-2': 'finished',
};

export async function cancelUnclaimedJob(
  redis: RedisClient,
  prefix: string,
  jobId: string,
): Promise<CancelOutcome> {
  const queueKey = (suffix: string) => `${prefix}:${QUERY_QUEUE_NAME}:${suffix}`;
  const result = await redis.eval(
    CANCEL_UNCLAIMED_JOB,
    7,
    jobKey(prefix, jobId),
    queueKey('wait'),
    queueKey('paused'),
    queueKey('prioritized'),
    queueKey('delayed'),
    queueKey('failed'),
    queueKey('events'),
    jobId,
    String(Date.now()),
    formatFailure('cancelled', CANCELLED_MESSAGE),
  );
  return OUTCOMES[String(result)] ?? 'missing';
}

/**
 * A running job is cancelled by the worker process that holds it (BullMQ's
 * Worker.cancelJob works only there): the API leaves a flag the worker checks when it
 * starts a job, then tells every worker on a pub/sub channel. The flag covers a job
 * taken between the two.
 */
export const cancelSignal = {
  channel: (prefix: string) => `${prefix}:cancel-requests`,
  flagKey: (prefix: string, jobId: string) => `${prefix}:cancel-requested:${jobId}`,

  async request(redis: RedisClient, prefix: string, jobId: string): Promise<void> {
    await redis.set(cancelSignal.flagKey(prefix, jobId), '1', 'EX', 3600);
    await redis.publish(cancelSignal.channel(prefix), jobId);
  },

  async isRequested(redis: RedisClient, prefix: string, jobId: string): Promise<boolean> {
    return (await redis.exists(cancelSignal.flagKey(prefix, jobId))) === 1;
  },
};
