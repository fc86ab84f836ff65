import type { JsonValue } from './json';
import type { ExecutionMode, Priority } from './runs';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed'];

export const JOB_ERROR_CODES = ['query_error', 'timeout', 'cancelled', 'internal'] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

export interface TQueryResults {
  columns: string[];
  rows: JsonValue[][];
  row_count: number;
  /** (ext) present when `rows` holds only the first page... */
  truncated?: true;
  /** (ext) ...and where the next page is. */
  next?: string;
}

/** `GET /v1/jobs/{job_id}`: the seed's fields first, then our (ext) fields. */
export interface TJobStatus {
  job_id: string;
  query_id: string;
  dataset_id: string;
  status: JobStatus;
  progress: number;
  results: TQueryResults | null;
  error: string | null;
  created_at: string;
  completed_at: string | null;
  error_code: JobErrorCode | null;
  execution_mode: ExecutionMode;
  started_at: string | null;
  attempts: number;
  priority: Priority;
  expires_at: string | null;
}

/** An entry of `GET /v1/jobs`: the status without inline results. */
export type TJobSummary = Omit<TJobStatus, 'results'>;

/** The body of `POST /v1/query/{query_id}` answers, sync and async. */
export interface TRunResponse {
  query_id: string;
  dataset_id: string;
  execution_mode: ExecutionMode;
  status: JobStatus;
  results: TQueryResults | null;
  job_id: string | null;
  created_at: string;
  error?: string;
  error_code?: JobErrorCode;
}
