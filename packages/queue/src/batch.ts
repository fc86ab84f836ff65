import { type JobStatus, type TBatchStatus, toTimestamp, toTimestampOrNull } from '@repo/contracts';
import { mapJobState } from './job-status';
import { jobKey } from './queue-names';
import type { RedisClient } from './redis-connection';

/**
 * A batch is a record of its jobs (a hash), plus the set of those that have ended; its
 * status is computed from the jobs themselves, so it can never disagree with them.
 */
export const batchKeys = {
  record: (prefix: string, batchId: string) => `${prefix}:batch:${batchId}`,
  ended: (prefix: string, batchId: string) => `${prefix}:batch:${batchId}:ended`,
};

export interface BatchRecord {
  tenant: string;
  job_ids: string[];
  created_ms: number;
  callback_url: string | null;
}

/** Job ids derived from the batch id: re-adding a batch (an idempotent retry) adds nothing twice. */
export function batchJobId(batchId: string, index: number): string {
  return `job_${batchId.slice('bat_'.length)}_${index}`;
}

export async function readBatchRecord(
  redis: RedisClient,
  prefix: string,
  batchId: string,
  tenant: string,
): Promise<BatchRecord | null> {
  const raw = await redis.get(batchKeys.record(prefix, batchId));
  if (raw === null) return null;
  const record = JSON.parse(raw) as BatchRecord;
  return record.tenant === tenant ? record : null;
}

function aggregate(statuses: JobStatus[]): JobStatus {
  if (statuses.every((s) => s === 'succeeded')) return 'succeeded';
  if (statuses.every((s) => s === 'succeeded' || s === 'failed')) return 'failed';
  if (statuses.every((s) => s === 'queued')) return 'queued';
  return 'running';
}

/**
 * The batch and each job's status and progress, in one pipeline. A job that is gone
 * (retention) counts as it ended: failed, unless the batch already said otherwise.
 */
export async function readBatchStatus(
  redis: RedisClient,
  prefix: string,
  batchId: string,
  tenant: string,
): Promise<TBatchStatus | null> {
  const record = await readBatchRecord(redis, prefix, batchId, tenant);
  if (!record) return null;
  const pipeline = redis.pipeline();
  for (const id of record.job_ids) {
    pipeline
      .hmget(jobKey(prefix, id), 'timestamp', 'processedOn', 'finishedOn', 'progress')
      .hexists(jobKey(prefix, id), 'returnvalue');
  }
  const replies = (await pipeline.exec()) ?? [];
  let lastFinished: number | null = null;
  const jobs = record.job_ids.map((jobId, i) => {
    const [timestamp, processedOn, finishedOn, progress] = (replies[2 * i]?.[1] ?? []) as (string | null)[];
    const hasReturn = replies[2 * i + 1]?.[1] === 1;
    // No hash (no timestamp): the job is gone, swept after its retention — it ended long ago.
    const status: JobStatus = !timestamp
      ? 'failed'
      : mapJobState({
          processedOn: processedOn ?? null,
          finishedOn: finishedOn ?? null,
          returnvalue: hasReturn ? '' : null,
        });
    if (finishedOn) lastFinished = Math.max(lastFinished ?? 0, Number(finishedOn));
    const value = status === 'succeeded' ? 100 : Math.min(99, Math.max(0, Math.floor(Number(progress ?? 0))));
    return { job_id: jobId, status, progress: value };
  });
  const status = aggregate(jobs.map((j) => j.status));
  const mean = Math.floor(jobs.reduce((sum, j) => sum + j.progress, 0) / jobs.length);
  return {
    batch_id: batchId,
    status,
    progress: status === 'succeeded' ? 100 : Math.min(99, mean),
    jobs,
    created_at: toTimestamp(record.created_ms),
    completed_at: status === 'succeeded' || status === 'failed' ? toTimestampOrNull(lastFinished) : null,
  };
}

/**
 * Marks one job of a batch as ended; true for the call that ended the last one (exactly
 * once per batch, however often jobs are rerun or marked).
 */
export async function markBatchJobEnded(
  redis: RedisClient,
  prefix: string,
  batchId: string,
  jobId: string,
  ttlSeconds: number,
): Promise<boolean> {
  const MARK = `
    local added = redis.call('SADD', KEYS[2], ARGV[1])
    local record = redis.call('GET', KEYS[1])
    if not record then return 0 end
    local total = #cjson.decode(record).job_ids
    redis.call('EXPIRE', KEYS[2], ARGV[2])
    if added == 1 and redis.call('SCARD', KEYS[2]) == total then
      redis.call('EXPIRE', KEYS[1], ARGV[2])
      return 1
    end
    return 0`;
  const result = await redis.eval(
    MARK,
    2,
    batchKeys.record(prefix, batchId),
    batchKeys.ended(prefix, batchId),
    jobId,
    String(ttlSeconds),
  );
  return result === 1;
}
