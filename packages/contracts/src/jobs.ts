import { z } from 'zod';
import { ZJsonValue } from './json';
import { EXECUTION_MODES, PRIORITIES } from './runs';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed'];

export const JOB_ERROR_CODES = ['query_error', 'timeout', 'cancelled', 'internal'] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

const ZTimestamp = z
  .string()
  .meta({ description: 'RFC 3339 UTC, second precision', example: '2024-06-01T14:22:10Z' });

export const ZQueryResults = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.array(ZJsonValue)),
  /** The full count, even when `rows` holds only the first page. */
  row_count: z.number().int(),
  /** (ext) present when `rows` holds only the first page... */
  truncated: z.literal(true).optional(),
  /** (ext) ...and where the next page is. */
  next: z.string().optional(),
});
export type TQueryResults = z.infer<typeof ZQueryResults>;

/** `GET /v1/jobs/{job_id}`: the seed's fields first, then our (ext) fields. */
export const ZJobStatus = z.object({
  job_id: z.string(),
  query_id: z.string(),
  dataset_id: z.string(),
  status: z.enum(JOB_STATUSES),
  progress: z.number().int().min(0).max(100),
  results: ZQueryResults.nullable(),
  error: z.string().nullable(),
  created_at: ZTimestamp,
  completed_at: ZTimestamp.nullable(),
  error_code: z.enum(JOB_ERROR_CODES).nullable(),
  execution_mode: z.enum(EXECUTION_MODES),
  started_at: ZTimestamp.nullable(),
  attempts: z.number().int(),
  priority: z.enum(PRIORITIES),
  expires_at: ZTimestamp.nullable(),
  /**
   * (ext) Whether `progress` is a measurement. Every status this server sends has it; it is
   * optional only so that answers of servers older than the field still fit.
   */
  progress_measured: z
    .boolean()
    .optional()
    .meta({
      description: [
        '(ext) Whether `progress` is a measurement.',
        '`true` once DuckDB has reported a percentage for this job (the figure then rises with the work done),',
        'and always once the job has succeeded (100).',
        '`false` while nothing has been measured: the job is queued, or it runs where DuckDB reports no progress —',
        'some queries (for instance scans of generated rows such as range(), or recursive CTEs), or any query',
        'run while every progress-reporting connection of its worker was busy.',
        '`progress` is then 0 until the job ends: read it as "not measured", not "nothing done",',
        'and show an indeterminate indicator rather than 0%.',
        'On a failed job: whether progress was measured before it failed. It never turns from `true` back to `false`.',
        '`progress` events of `GET /v1/jobs/{job_id}/events` carry it too',
        '(always `true` there: only a measurement makes a progress event).',
        'Absent only from servers older than this field.',
      ].join(' '),
    }),
  /** (ext) Present for a run with a callback_url: its delivery so far. */
  webhook: z
    .object({
      attempts: z.number().int(),
      last_status: z.number().int().nullable(),
      delivered_at: ZTimestamp.nullable(),
      last_error: z.string().nullable(),
    })
    .optional(),
});
export type TJobStatus = z.infer<typeof ZJobStatus>;

/** An entry of `GET /v1/jobs`: the status without inline results. */
export const ZJobSummary = ZJobStatus.omit({ results: true });
export type TJobSummary = z.infer<typeof ZJobSummary>;

export const ZJobsPage = z.object({ data: z.array(ZJobSummary), next_cursor: z.string().nullable() });

/** `GET /v1/jobs/{job_id}/results` as JSON: one page. */
export const ZResultsPage = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.array(ZJsonValue)),
  row_count: z.number().int(),
  next_cursor: z.string().nullable(),
});

/** The body of `POST /v1/query/{query_id}` answers, sync and async. */
export const ZRunResponse = z.object({
  query_id: z.string(),
  dataset_id: z.string(),
  execution_mode: z.enum(EXECUTION_MODES),
  status: z.enum(JOB_STATUSES),
  results: ZQueryResults.nullable(),
  job_id: z.string().nullable(),
  created_at: ZTimestamp,
  /** Present when a sync run failed. */
  error: z.string().nullable().optional(),
  error_code: z.enum(JOB_ERROR_CODES).nullable().optional(),
});
export type TRunResponse = z.infer<typeof ZRunResponse>;

export const ZListJobsQuery = z.object({
  status: z.enum(JOB_STATUSES).optional(),
  query_id: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const ZResultsQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** json pages; csv and ndjson stream the whole result (also chosen by Accept). */
  format: z.enum(['json', 'csv', 'ndjson']).optional(),
  /** `true`: a presigned URL of the whole result's Parquet file (object store only). */
  link: z
    .enum(['true', 'false'])
    .optional()
    .transform((value) => value === 'true'),
});

/** `?link=true`: where to download the whole result as Parquet, and until when. */
export const ZResultsLink = z.object({
  url: z.string(),
  format: z.literal('parquet'),
  expires_at: z.string(),
});

/** `GET /v1/jobs/{job_id}?wait=30`: a long poll of up to 60 s. */
export const ZStatusQuery = z.object({
  wait: z.coerce.number().int().min(0).max(60).default(0),
});
