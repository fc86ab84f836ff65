import type { JobStatus, TJobStatus, TQueryResults } from '@repo/contracts';
import { toTimestamp, toTimestampOrNull } from '@repo/contracts';
import { parseFailure } from './job-failure';
import { jobKey } from './queue-names';
import type { RedisClient } from './redis-connection';
import { type TRunQueryPayload, ZRunQueryPayload } from './run-query-job';

/** The BullMQ job hash fields a status needs; read with one HMGET. */
export const JOB_STATUS_FIELDS = [
  'data',
  'timestamp',
  'processedOn',
  'finishedOn',
  'progress',
  'returnvalue',
  'failedReason',
  'ats',
] as const;

export type RawJobFields = Record<(typeof JOB_STATUS_FIELDS)[number], string | null>;

/**
 * BullMQ's states, read from the hash alone: `finishedOn` is written only when a job
 * reaches completed or failed, a completed job always has a `returnvalue` (the processor
 * returns an object), and `processedOn` is written when a worker first takes the job —
 * so a retry waiting for its next attempt stays `running`, as the contract says.
 */
export function mapJobState(
  raw: Pick<RawJobFields, 'processedOn' | 'finishedOn' | 'returnvalue'>,
): JobStatus {
  if (raw.finishedOn) return raw.returnvalue !== null ? 'succeeded' : 'failed';
  if (raw.processedOn) return 'running';
  return 'queued';
}

function toInt(value: string | null): number | null {
  if (value === null) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** Progress is an integer 0-100 that is 100 exactly when the job succeeded. */
function mapProgress(status: JobStatus, stored: string | null): number {
  if (status === 'succeeded') return 100;
  const n = toInt(stored);
  return n === null ? 0 : Math.max(0, Math.min(99, Math.floor(n)));
}

export function toJobStatus(
  jobId: string,
  raw: RawJobFields,
  payload: TRunQueryPayload,
  resultTtlSeconds: number,
): TJobStatus {
  const status = mapJobState(raw);
  const finishedOn = toInt(raw.finishedOn);
  const failure = status === 'failed' ? parseFailure(raw.failedReason) : null;
  return {
    job_id: jobId,
    query_id: payload.query_id,
    dataset_id: payload.dataset_id,
    status,
    progress: mapProgress(status, raw.progress),
    results:
      status === 'succeeded' && raw.returnvalue ? (JSON.parse(raw.returnvalue) as TQueryResults) : null,
    error: failure?.message ?? null,
    created_at: toTimestamp(toInt(raw.timestamp) ?? 0),
    completed_at: status === 'succeeded' || status === 'failed' ? toTimestampOrNull(finishedOn) : null,
    error_code: failure?.code ?? null,
    execution_mode: payload.execution_mode,
    started_at: toTimestampOrNull(toInt(raw.processedOn)),
    attempts: toInt(raw.ats) ?? 0,
    priority: payload.priority,
    expires_at: finishedOn === null ? null : toTimestamp(finishedOn + resultTtlSeconds * 1000),
  };
}

/**
 * One round trip: HMGET of the job hash. Answers null for an unknown job and for a job
 * of another tenant, so the two are indistinguishable to the caller.
 */
export async function readJobStatus(
  redis: RedisClient,
  prefix: string,
  jobId: string,
  tenant: string,
  resultTtlSeconds: number,
): Promise<TJobStatus | null> {
  const values = await redis.hmget(jobKey(prefix, jobId), ...JOB_STATUS_FIELDS);
  const raw = Object.fromEntries(
    JOB_STATUS_FIELDS.map((field, i) => [field, values[i] ?? null]),
  ) as RawJobFields;
  if (raw.data === null) return null;
  const parsed = ZRunQueryPayload.safeParse(JSON.parse(raw.data));
  if (!parsed.success || parsed.data.tenant !== tenant) return null;
  return toJobStatus(jobId, raw, parsed.data, resultTtlSeconds);
}
