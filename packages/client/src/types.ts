// The API's wire shapes (docs: /v1 contract), written out as plain types so the published
// package depends on nothing: types.test.ts checks at compile time that every answer the
// server's zod contracts allow fits these types, and that every request built from them is
// one the contracts accept. Answers keep the API's snake_case names; the SDK's own options
// are camelCase.

/** A value that survives JSON.stringify/JSON.parse unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed'];

export const JOB_ERROR_CODES = ['query_error', 'timeout', 'cancelled', 'internal'] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

export const EXECUTION_MODES = ['sync', 'async'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

export const PRIORITIES = ['interactive', 'batch'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Body types a dataset upload accepts, by file extension. */
export const DATASET_CONTENT_TYPES = {
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  jsonl: 'application/x-ndjson',
  json: 'application/json',
  parquet: 'application/vnd.apache.parquet',
} as const;
export type DatasetContentType = (typeof DATASET_CONTENT_TYPES)[keyof typeof DATASET_CONTENT_TYPES];

export interface Column {
  name: string;
  dtype: string;
  null_count: number;
}

/** `POST /v1/datasets`, `GET /v1/datasets/{id}`. */
export interface Dataset {
  dataset_id: string;
  name: string;
  row_count: number;
  columns: Column[];
  size_bytes: number;
  created_at: string;
}

/** `GET /v1/datasets/{id}/schema`. */
export interface DatasetSchema {
  dataset_id: string;
  columns: Column[];
}

/** A page of a list: follow `next_cursor` until it is null. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** The structured form of a query (instead of SQL). */
export interface StructuredQuery {
  group_by?: string[];
  aggregates?: Array<{
    fn: 'count' | 'count_distinct' | 'sum' | 'avg' | 'min' | 'max' | 'median' | 'quantile';
    column?: string;
    as?: string;
    q?: number;
  }>;
  filters?: Array<{
    column: string;
    op:
      | 'eq'
      | 'neq'
      | 'gt'
      | 'gte'
      | 'lt'
      | 'lte'
      | 'in'
      | 'not_in'
      | 'between'
      | 'is_null'
      | 'not_null'
      | 'contains';
    value?: { param: string } | string | number | boolean | Array<string | number | boolean>;
  }>;
  order_by?: Array<{ column: string; direction?: 'asc' | 'desc' }>;
  limit?: number;
}

/** `POST /v1/save` answers with this. */
export interface SavedQueryCreated {
  query_id: string;
  name: string;
  created_at: string;
  status: 'saved';
}

/** `GET /v1/queries/{id}`. */
export interface SavedQuery {
  query_id: string;
  name: string;
  description: string | null;
  query: string | StructuredQuery;
  dataset_id: string | null;
  /** The `$name` parameters a run must give. */
  parameters: string[];
  created_at: string;
  status: 'saved';
}

export type ParameterScalar = string | number | boolean | null;
export type ParameterValue = ParameterScalar | ParameterScalar[];

export interface QueryResults {
  columns: string[];
  rows: JsonValue[][];
  /** The full count, even when `rows` holds only the first page. */
  row_count: number;
  /** Present when `rows` holds only the first page of a larger result... */
  truncated?: true;
  /** ...and where the next page is. */
  next?: string;
}

/** `GET /v1/jobs/{id}`. */
export interface Job {
  job_id: string;
  query_id: string;
  dataset_id: string;
  status: JobStatus;
  /** 0–100, never decreasing, 100 exactly when `succeeded`. */
  progress: number;
  results: QueryResults | null;
  error: string | null;
  created_at: string;
  completed_at: string | null;
  error_code: JobErrorCode | null;
  execution_mode: ExecutionMode;
  started_at: string | null;
  attempts: number;
  priority: Priority;
  expires_at: string | null;
  /**
   * Whether `progress` is a measurement: `true` once DuckDB has reported a percentage for this
   * job, and once it has succeeded; `false` while nothing is measured (queued, or running a
   * query DuckDB reports no progress for) — `progress` is then 0 for "not measured", not
   * "nothing done", so show an indeterminate indicator. Absent from servers older than it.
   */
  progress_measured?: boolean;
  /** For a run with a callback_url: its webhook's delivery so far. */
  webhook?: WebhookDelivery;
}

export interface WebhookDelivery {
  attempts: number;
  last_status: number | null;
  delivered_at: string | null;
  last_error: string | null;
}

/** An entry of `GET /v1/jobs`: a job without its inline results. */
export type JobSummary = Omit<Job, 'results'>;

/** `POST /v1/query/{id}` answers: sync (200, or 422/500 when the run failed) and async (202). */
export interface RunResponse {
  query_id: string;
  dataset_id: string;
  /** `async` whenever the answer is a job to follow (202), even for a sync request. */
  execution_mode: ExecutionMode;
  status: JobStatus;
  results: QueryResults | null;
  job_id: string | null;
  created_at: string;
  /** Set when a sync run failed. */
  error?: string | null;
  error_code?: JobErrorCode | null;
}

/** `GET /v1/jobs/{id}/results` as JSON: one page of the whole result. */
export interface ResultsPage {
  columns: string[];
  rows: JsonValue[][];
  row_count: number;
  next_cursor: string | null;
}

/** The error envelope of every 4xx/5xx answer. */
export interface ErrorEnvelope {
  error: { code: string; message: string; details: string[] };
}
