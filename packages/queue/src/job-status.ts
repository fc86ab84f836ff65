import type { JobStatus, TJobStatus, TQueryResults } from '@repo/contracts';
import { resultsLink, toTimestamp, toTimestampOrNull } from '@repo/contracts';
import type { z } from 'zod';
import { parseFailure } from './job-failure';
import { jobKey } from './queue-names';
import type { RedisClient } from './redis-connection';
import { ZRunQueryPayload } from './run-query-job';

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
  'webhook',
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

/**
 * Whether the progress is measured: the worker writes BullMQ's `progress` field only with a
 * figure DuckDB measured (and 100 on success), never while nothing is measured — so the
 * field's presence says it, with no field of its own to read or write.
 */
function isProgressMeasured(status: JobStatus, stored: string | null): boolean {
  return status === 'succeeded' || toInt(stored) !== null;
}

/** Inline results, with the link to the next page when the rest sits in a result file. */
function mapResults(jobId: string, returnvalue: string): TQueryResults {
  const results = JSON.parse(returnvalue) as TQueryResults;
  return results.truncated ? { ...results, next: resultsLink(jobId, results.rows.length) } : results;
}

/**
 * The payload fields a status shows, validated alone: the query text and its parameters
 * (which can be large) are the worker's business and cost a status read nothing.
 */
const ZStatusPayload = ZRunQueryPayload.pick({
  tenant: true,
  query_id: true,
  dataset_id: true,
  execution_mode: true,
  priority: true,
  callback_url: true,
});
export type TStatusPayload = z.infer<typeof ZStatusPayload>;

/** Reads the job's payload; null when it is not a run of this tenant's. */
export function parsePayload(data: string | null, tenant: string): TStatusPayload | null {
  if (data === null) return null;
  const json: unknown = JSON.parse(data);
  if ((json as { tenant?: unknown } | null)?.tenant !== tenant) return null;
  const parsed = ZStatusPayload.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export function toJobStatus(
  jobId: string,
  raw: RawJobFields,
  payload: TStatusPayload,
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
    results: status === 'succeeded' && raw.returnvalue ? mapResults(jobId, raw.returnvalue) : null,
    error: failure?.message ?? null,
    created_at: toTimestamp(toInt(raw.timestamp) ?? 0),
    completed_at: status === 'succeeded' || status === 'failed' ? toTimestampOrNull(finishedOn) : null,
    error_code: failure?.code ?? null,
    execution_mode: payload.execution_mode,
    started_at: toTimestampOrNull(toInt(raw.processedOn)),
    attempts: toInt(raw.ats) ?? 0,
    priority: payload.priority,
    expires_at: finishedOn === null ? null : toTimestamp(finishedOn + resultTtlSeconds * 1000),
    progress_measured: isProgressMeasured(status, raw.progress),
    ...(raw.webhook
      ? { webhook: JSON.parse(raw.webhook) as NonNullable<TJobStatus['webhook']> }
      : payload.callback_url
        ? { webhook: { attempts: 0, last_status: null, delivered_at: null, last_error: null } }
        : {}),
  };
}

/** A finished job older than the TTL is gone for clients, even before the sweep removes it. */
export function isExpired(
  raw: Pick<RawJobFields, 'finishedOn'>,
  resultTtlSeconds: number,
  now = Date.now(),
): boolean {
  return raw.finishedOn !== null && Number(raw.finishedOn) + resultTtlSeconds * 1000 <= now;
}

/**
 * One round trip: HMGET of the job hash. Answers null for an unknown job, an expired
 * one and one of another tenant, so the three are indistinguishable to the caller.
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
  const payload = isExpired(raw, resultTtlSeconds) ? null : parsePayload(raw.data, tenant);
  return payload ? toJobStatus(jobId, raw, payload, resultTtlSeconds) : null;
}
