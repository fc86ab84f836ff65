import { AnalyticsApiError } from './analytics-api-error';
import { errorFromText, type HttpTransport } from './http-transport';
import type { JobsResource, WaitOptions } from './jobs.resource';
import { eachItem, type ListOptions, type RequestOptions, segment } from './pages';
import type {
  ExecutionMode,
  Job,
  Page,
  ParameterValue,
  Priority,
  RunResponse,
  SavedQuery,
  SavedQueryCreated,
  StructuredQuery,
} from './types';

export interface SaveQueryInput {
  name: string;
  description?: string;
  /** SQL (one SELECT over the table `dataset`, with `$name` parameters) or the structured form. */
  query: string | StructuredQuery;
  /** Binds a default dataset, and lets the API check the query's columns against it. */
  datasetId?: string;
}

export interface RunOptions extends RequestOptions {
  /** `sync` (the API's default) answers with the results; `async` with a job to follow. */
  mode?: ExecutionMode;
  /** Exactly the `$name` parameters the query uses. */
  parameters?: Record<string, ParameterValue>;
  /** Another dataset than the query's bound one. */
  datasetId?: string;
  /** `batch` waits behind waiting `interactive` (default) work. */
  priority?: Priority;
  /** Interrupts the query after this long (error_code `timeout`). */
  timeoutMs?: number;
  /** The same key and body within 24 h return the same job. Makes the run safe to retry on 429/503. */
  idempotencyKey?: string;
}

export interface RunAndWaitOptions extends Omit<RunOptions, 'mode'>, Pick<WaitOptions, 'onProgress'> {
  /** Give up waiting after this long (code `wait_timeout`); the job goes on. */
  waitTimeoutMs?: number;
}

function isRunBody(value: unknown): value is RunResponse {
  return typeof value === 'object' && value !== null && 'query_id' in value && 'status' in value;
}

/** `/v1/save`, `/v1/queries`, `/v1/query/{id}`: save, read and run queries. */
export class QueriesResource {
  constructor(
    private readonly http: HttpTransport,
    private readonly jobs: JobsResource,
  ) {}

  /** Saves a query; the API refuses (422) anything but one read-only SELECT, and unknown columns. */
  save(input: SaveQueryInput, options: RequestOptions = {}): Promise<SavedQueryCreated> {
    return this.http.json({
      method: 'POST',
      path: '/v1/save',
      json: {
        name: input.name,
        description: input.description,
        query: input.query,
        dataset_id: input.datasetId,
      },
      signal: options.signal,
    });
  }

  list(options: ListOptions = {}): Promise<Page<SavedQuery>> {
    return this.http.json({
      method: 'GET',
      path: '/v1/queries',
      query: { limit: options.limit, cursor: options.cursor },
      signal: options.signal,
    });
  }

  listAll(options: Omit<ListOptions, 'cursor'> = {}): AsyncGenerator<SavedQuery> {
    return eachItem((cursor) => this.list({ ...options, cursor }));
  }

  get(queryId: string, options: RequestOptions = {}): Promise<SavedQuery> {
    return this.http.json({ method: 'GET', path: `/v1/queries/${segment(queryId)}`, signal: options.signal });
  }

  delete(queryId: string, options: RequestOptions = {}): Promise<void> {
    return this.http.empty({
      method: 'DELETE',
      path: `/v1/queries/${segment(queryId)}`,
      signal: options.signal,
    });
  }

  /**
   * Runs a saved query. Sync: the answer has `results`, or `status: "failed"` with `error`
   * and `error_code` when the query failed (not an exception); if the run outlasts the API's
   * sync wait the answer has a `job_id` to `jobs.wait` for. Async: `job_id` at once.
   */
  async run(queryId: string, options: RunOptions = {}): Promise<RunResponse> {
    const response = await this.http.send({
      method: 'POST',
      path: `/v1/query/${segment(queryId)}`,
      json: {
        parameters: options.parameters,
        dataset_id: options.datasetId,
        execution_mode: options.mode,
        priority: options.priority,
        timeout_ms: options.timeoutMs,
      },
      headers: options.idempotencyKey === undefined ? {} : { 'Idempotency-Key': options.idempotencyKey },
      signal: options.signal,
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw errorFromText(response, text);
    }
    // 200 and 202 are runs; so are 422/500 answers of a sync run that failed.
    if (response.ok || (isRunBody(body) && body.status === 'failed')) return body as RunResponse;
    throw errorFromText(response, text);
  }

  /** Runs the query as a job and waits for it to end: the job, `succeeded` or `failed`. */
  async runAndWait(queryId: string, options: RunAndWaitOptions = {}): Promise<Job> {
    const { onProgress, waitTimeoutMs, ...run } = options;
    const accepted = await this.run(queryId, { ...run, mode: 'async' });
    if (!accepted.job_id) {
      throw new AnalyticsApiError({
        code: 'invalid_response',
        message: 'The async run answered without a job_id.',
      });
    }
    return this.jobs.wait(accepted.job_id, { signal: options.signal, onProgress, timeoutMs: waitTimeoutMs });
  }
}
