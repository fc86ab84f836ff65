import { AnalyticsApiError } from './analytics-api-error';
import { abortedError, errorFromResponse, type HttpTransport, type RequestSpec } from './http-transport';
import { changesOf, isTerminal, type JobUpdates } from './job-updates';
import { eachItem, type ListOptions, type RequestOptions, segment } from './pages';
import type { Job, JobStatus, JobSummary, Page, ResultsPage } from './types';

export interface ListJobsOptions extends ListOptions {
  status?: JobStatus;
  queryId?: string;
}

export interface ResultsPageOptions extends RequestOptions {
  format?: 'json';
  /** `next_cursor` of the previous page. */
  cursor?: string;
  /** Rows per page, 1–10,000 (the API's default is 1,000). */
  limit?: number;
}

export interface ResultsFileOptions extends RequestOptions {
  /** The whole result: CSV (RFC 4180, CRLF, with a header row) or NDJSON (one object per row). */
  format: 'csv' | 'ndjson';
  /** `text` (default) reads it all into a string; `stream` hands over the body as it arrives. */
  as?: 'text' | 'stream';
}

export interface WaitOptions extends RequestOptions {
  /** Called with the job whenever its status or progress has moved (or became measured), and once at the start. */
  onProgress?: (job: Job) => void;
  /** Give up waiting after this long (code `wait_timeout`); the job itself goes on. */
  timeoutMs?: number;
}

/** `/v1/jobs`: follow, list, cancel jobs and read their results. */
export class JobsResource {
  constructor(
    private readonly http: HttpTransport,
    private readonly updates: JobUpdates,
  ) {}

  get(jobId: string, options: RequestOptions = {}): Promise<Job> {
    return this.http.json({ method: 'GET', path: `/v1/jobs/${segment(jobId)}`, signal: options.signal });
  }

  /** One page of your jobs, newest first, without inline results. With `status`, a page may hold fewer than `limit`. */
  list(options: ListJobsOptions = {}): Promise<Page<JobSummary>> {
    return this.http.json({
      method: 'GET',
      path: '/v1/jobs',
      query: {
        status: options.status,
        query_id: options.queryId,
        limit: options.limit,
        cursor: options.cursor,
      },
      signal: options.signal,
    });
  }

  listAll(options: Omit<ListJobsOptions, 'cursor'> = {}): AsyncGenerator<JobSummary> {
    return eachItem((cursor) => this.list({ ...options, cursor }));
  }

  /**
   * Cancels a queued or running job and answers with it: ended `failed` with
   * `error_code: "cancelled"`, or still `running` if it had not stopped within the API's
   * wait (it will). A job that had already ended is a 409 `conflict`.
   */
  cancel(jobId: string, options: RequestOptions = {}): Promise<Job> {
    return this.http.json({
      method: 'POST',
      path: `/v1/jobs/${segment(jobId)}/cancel`,
      signal: options.signal,
    });
  }

  /** One page of a succeeded job's result (a 409 `conflict` while it runs or when it failed). */
  results(jobId: string, options?: ResultsPageOptions): Promise<ResultsPage>;
  /** The whole result as CSV or NDJSON text. */
  results(jobId: string, options: ResultsFileOptions & { as?: 'text' }): Promise<string>;
  /** The whole result as CSV or NDJSON, streamed. */
  results(jobId: string, options: ResultsFileOptions & { as: 'stream' }): Promise<ReadableStream<Uint8Array>>;
  async results(
    jobId: string,
    options: ResultsPageOptions | ResultsFileOptions = {},
  ): Promise<ResultsPage | string | ReadableStream<Uint8Array>> {
    const spec: RequestSpec = {
      method: 'GET',
      path: `/v1/jobs/${segment(jobId)}/results`,
      signal: options.signal,
    };
    if (options.format === undefined || options.format === 'json') {
      const page = options as ResultsPageOptions;
      return this.http.json({ ...spec, query: { cursor: page.cursor, limit: page.limit } });
    }
    const file = options as ResultsFileOptions;
    const response = await this.http.send({
      ...spec,
      query: { format: file.format },
      accept: file.format === 'csv' ? 'text/csv' : 'application/x-ndjson',
    });
    if (!response.ok) throw await errorFromResponse(response);
    if (file.as === 'stream') {
      if (!response.body)
        throw new AnalyticsApiError({ code: 'invalid_response', message: 'The answer has no body.' });
      return response.body;
    }
    return response.text();
  }

  /** Every page of a succeeded job's result, in order. */
  async *resultPages(
    jobId: string,
    options: Omit<ResultsPageOptions, 'cursor' | 'format'> = {},
  ): AsyncGenerator<ResultsPage> {
    let cursor: string | undefined;
    do {
      const page = await this.results(jobId, { ...options, cursor });
      yield page;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** The job each time its status or progress moves, ending with its terminal state. */
  watch(jobId: string, options: RequestOptions = {}): AsyncGenerator<Job> {
    return changesOf(this.updates(jobId, options.signal));
  }

  /**
   * Resolves with the job once it has `succeeded` or `failed` (a failed job is an answer,
   * not an exception: look at `error_code` and `error`). Reads the job with a backoff from
   * 250 ms to 2 s; `signal` stops waiting (code `aborted`), `timeoutMs` too (`wait_timeout`).
   */
  async wait(jobId: string, options: WaitOptions = {}): Promise<Job> {
    const { signal, onProgress, timeoutMs } = options;
    if (signal?.aborted) throw abortedError(signal);
    const controller = new AbortController();
    const forward = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', forward, { once: true });
    let timedOut = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeoutMs);
    try {
      for await (const job of this.watch(jobId, { signal: controller.signal })) {
        onProgress?.(job);
        if (isTerminal(job)) return job;
      }
      throw new AnalyticsApiError({
        code: 'invalid_response',
        message: `Job ${jobId}: its updates ended before it did.`,
      });
    } catch (error) {
      if (timedOut && error instanceof AnalyticsApiError && error.code === 'aborted') {
        throw new AnalyticsApiError({
          code: 'wait_timeout',
          message: `Job ${jobId} had not ended after ${timeoutMs} ms; it goes on.`,
        });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  }
}
