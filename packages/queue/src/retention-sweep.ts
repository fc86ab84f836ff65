import { randomUUID } from 'node:crypto';
import { cancelSignal } from './cancel-job';
import { execMulti } from './exec-multi';
import { jobIndexKeys, parseCreationMember, removeJobFromIndexes } from './job-index';
import type { QueryQueue } from './query-queue';
import { jobKey } from './queue-names';
import type { RedisClient } from './redis-connection';

export interface RetentionSweepOptions {
  redis: RedisClient;
  queue: QueryQueue;
  prefix: string;
  ttlSeconds: number;
  /** Deletes whatever files a job left in its tenant's folder; must not fail when there are none. */
  removeJobFiles: (job: { jobId: string; tenant: string }) => Promise<void>;
  batchSize?: number;
  now?: number;
}

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Removes every job that finished more than `ttlSeconds` ago: its BullMQ hash and logs,
 * its index entries, any cancel flag and its result files. Only jobs created before the cutoff can have
 * expired, so the sweep reads just those, oldest first. Every step is idempotent, and a
 * short lock keeps replicas from doing the same work at once — correctness does not
 * depend on it. Returns how many jobs it removed.
 */
export async function sweepExpiredJobs(options: RetentionSweepOptions): Promise<number> {
  const { redis, queue, prefix, ttlSeconds } = options;
  const now = options.now ?? Date.now();
  const batchSize = options.batchSize ?? 500;
  const lockKey = `${prefix}:retention-lock`;
  const token = randomUUID();
  if ((await redis.set(lockKey, token, 'PX', 60_000, 'NX')) !== 'OK') return 0;
  let removed = 0;
  try {
    const cutoff = now - ttlSeconds * 1000;
    let offset = 0;
    for (;;) {
      const entries = await redis.zrangebyscore(
        jobIndexKeys.byCreation(prefix),
        '-inf',
        cutoff,
        'WITHSCORES',
        'LIMIT',
        offset,
        batchSize,
      );
      if (entries.length === 0) break;
      let kept = 0;
      for (let i = 0; i < entries.length; i += 2) {
        const job = parseCreationMember(entries[i] ?? '', Number(entries[i + 1]));
        if (!job) continue;
        const finishedOn = await redis.hget(jobKey(prefix, job.jobId), 'finishedOn');
        const exists = finishedOn !== null || (await redis.exists(jobKey(prefix, job.jobId))) === 1;
        const expired = !exists || (finishedOn !== null && Number(finishedOn) + ttlSeconds * 1000 <= now);
        if (!expired) {
          kept += 1;
          continue;
        }
        if (exists) await queue.remove(job.jobId);
        await options.removeJobFiles(job);
        await execMulti(
          removeJobFromIndexes(redis.multi(), prefix, job).del(cancelSignal.flagKey(prefix, job.jobId)),
        );
        removed += 1;
      }
      // Removed entries left the set; the kept ones stay ahead of the next batch.
      offset += kept;
      if (entries.length / 2 < batchSize) break;
    }
  } finally {
    await redis.eval(RELEASE_LOCK, 1, lockKey, token);
  }
  return removed;
}
