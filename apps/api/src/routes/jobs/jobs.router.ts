import {
  decodeResultsCursor,
  encodeResultsCursor,
  isId,
  type JsonValue,
  TERMINAL_STATUSES,
  type TJobStatus,
  toTimestamp,
  ZListJobsQuery,
  ZResultsQuery,
  ZStatusQuery,
} from '@repo/contracts';
import { createWebhookQueue, dataKeys, listJobs, readJobStatus, timeOrderedIndex } from '@repo/queue';
import { type DatasetLease, isMissing } from '@repo/storage';
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { AppError, invalidCursor, notFound, parseOrThrow } from '../../app-error';
import { tenantOf } from '../../middleware/authenticate';
import { asyncJobsGate } from './async-jobs-gate';
import { streamJobEvents } from './job-events-stream';
import { requestCancel } from './request-cancel';
import { type ResultsFormat, type RowChunks, streamResults } from './stream-results';
import { sendJsonBody, TerminalStatusCache } from './terminal-status-cache';
import { waitForJobEnd } from './wait-for-job-end';

/**
 * How long a cancel waits for the job to end before answering 202. The interrupt itself
 * takes milliseconds (the contract promises 2 s); the margin covers a loaded machine.
 */
const CANCEL_WAIT_MS = 5_000;

function resultsFormat(req: Request, asked: 'json' | 'csv' | 'ndjson' | undefined): ResultsFormat | null {
  if (asked) return asked === 'json' ? null : asked;
  const preferred = req.accepts(['application/json', 'text/csv', 'application/x-ndjson']);
  return preferred === 'text/csv' ? 'csv' : preferred === 'application/x-ndjson' ? 'ndjson' : null;
}

async function* inlineChunks(status: TJobStatus): RowChunks {
  if (status.results) yield { columns: status.results.columns, rows: status.results.rows };
}

/** A result file's rows, its local copy held until the last is read or the client leaves. */
async function* leasedChunks(lease: DatasetLease, chunks: RowChunks): RowChunks {
  try {
    yield* chunks;
  } finally {
    lease.release();
  }
}

export function jobsRouter(deps: AppDeps): Router {
  const { config, redis } = deps;
  const router = Router();
  router.use(asyncJobsGate(config.ASYNC_JOBS_ENABLED));
  const webhooks = createWebhookQueue(redis, config.QUEUE_PREFIX);

  const readStatus = (res: Response, id: string) =>
    readJobStatus(redis, config.QUEUE_PREFIX, id, tenantOf(res), config.RESULT_TTL_SECONDS);

  async function loadStatus(res: Response, id: string): Promise<TJobStatus> {
    const status = isId('job', id) ? await readStatus(res, id) : null;
    if (!status) throw notFound('job', id);
    return status;
  }

  router.get('/', async (req, res) => {
    const query = parseOrThrow(ZListJobsQuery, req.query, 'query string');
    const after = query.cursor === undefined ? null : timeOrderedIndex.memberOf(query.cursor);
    if (query.cursor !== undefined && after === null) throw invalidCursor();
    if (query.query_id !== undefined && !isId('query', query.query_id)) {
      res.json({ data: [], next_cursor: null });
      return;
    }
    const page = await listJobs(redis, config.QUEUE_PREFIX, {
      tenant: tenantOf(res),
      queryId: query.query_id,
      status: query.status,
      limit: query.limit,
      after,
      resultTtlSeconds: config.RESULT_TTL_SECONDS,
    });
    res.json({
      data: page.data,
      next_cursor: page.next === null ? null : timeOrderedIndex.cursorOf(page.next),
    });
  });

  // Ended jobs never change: repeated polls of one are answered without Redis (see the module).
  const terminalStatuses = new TerminalStatusCache();
  deps.jobEvents.onReset((jobId) => terminalStatuses.forget(jobId));
  router.get('/:jobId', async (req, res) => {
    // Long poll: `?wait=30` answers as soon as the job ends, or after that many seconds.
    // (Parsed only when there is a query string: plain polls are the hot path.)
    const wait = req.url.includes('?') ? parseOrThrow(ZStatusQuery, req.query, 'query string').wait : 0;
    const cached = terminalStatuses.get(tenantOf(res), req.params.jobId);
    if (cached) {
      sendJsonBody(res, cached);
      return;
    }
    let status = await loadStatus(res, req.params.jobId);
    if (wait > 0 && !TERMINAL_STATUSES.includes(status.status)) {
      await waitForJobEnd(deps, status.job_id, wait * 1000);
      status = await loadStatus(res, req.params.jobId);
    }
    // A webhook still being delivered changes the status: such a job is not kept.
    const settled = !status.webhook || status.webhook.delivered_at !== null;
    sendJsonBody(
      res,
      settled ? terminalStatuses.remember(tenantOf(res), status) : Buffer.from(JSON.stringify(status)),
    );
  });

  router.get('/:jobId/events', async (req, res) => {
    const id = req.params.jobId;
    await loadStatus(res, id);
    await streamJobEvents(res, {
      jobId: id,
      hub: deps.jobEvents,
      readStatus: () => readStatus(res, id),
      keepAliveMs: config.SSE_KEEPALIVE_MS,
    });
  });

  /**
   * A job no worker holds is failed at once, atomically; a running one is interrupted by
   * whichever worker holds it. Answers 200 with the job once it has ended `cancelled`,
   * 202 if it is still stopping, 409 if it had already ended (unchanged).
   */
  router.post('/:jobId/cancel', async (req, res) => {
    const id = req.params.jobId;
    const before = await loadStatus(res, id);
    const alreadyEnded = (status: TJobStatus) =>
      new AppError(
        'conflict',
        `The job has already ${status.status}; only queued or running jobs can be cancelled.`,
      );
    if (TERMINAL_STATUSES.includes(before.status)) throw alreadyEnded(before);
    await requestCancel({ config, redis, webhooks }, id);
    await waitForJobEnd(deps, id, CANCEL_WAIT_MS);
    const status = (await readStatus(res, id)) ?? before;
    if (TERMINAL_STATUSES.includes(status.status) && status.error_code !== 'cancelled')
      throw alreadyEnded(status);
    res.status(TERMINAL_STATUSES.includes(status.status) ? 200 : 202).json(status);
  });

  /** `?link=true`: a presigned URL of the whole result file, on a bucket only. */
  async function resultLink(key: string | null, id: string) {
    if (deps.store.kind !== 's3') {
      throw new AppError(
        'validation_failed',
        'link=true needs the object store (OBJECT_STORE_URL); on the local file store, page the results or stream them as CSV or NDJSON.',
        ['link'],
      );
    }
    if (key === null) {
      throw new AppError(
        'validation_failed',
        `The results of job ${id} are all inline in its status, with no file to link to.`,
        ['link'],
      );
    }
    if ((await deps.store.head(key)) === null) {
      throw new AppError('not_found', `The results of job ${id} are no longer kept.`);
    }
    const ttl = config.RESULT_LINK_TTL_SECONDS;
    const url = await deps.store.presignGet(key, ttl, { downloadName: `${id}.parquet` });
    return { url, format: 'parquet' as const, expires_at: toTimestamp(Date.now() + ttl * 1000) };
  }

  router.get('/:jobId/results', async (req, res) => {
    const id = req.params.jobId;
    const query = parseOrThrow(ZResultsQuery, req.query, 'query string');
    const status = await loadStatus(res, id);
    if (status.status !== 'succeeded' || !status.results) {
      throw new AppError(
        'conflict',
        status.status === 'failed'
          ? `The job failed (${status.error_code}); it has no results.`
          : `The job is ${status.status}; results exist once it has succeeded.`,
      );
    }
    const results = status.results;
    // Rows past the inline page are in the result's file, in the store.
    const key = results.truncated ? dataKeys.result(tenantOf(res), id) : null;
    const gone = () => new AppError('not_found', `The results of job ${id} are no longer kept.`);
    if (query.link) {
      res.json(await resultLink(key, id));
      return;
    }
    // DuckDB reads a local file: the stored one, or a copy in this process's cache.
    const lease = key
      ? await deps.cache.ensureLocal(key).catch((error: unknown) => {
          throw isMissing(error) ? gone() : error;
        })
      : null;

    const format = resultsFormat(req, query.format);
    if (format) {
      await streamResults(
        res,
        format,
        results.columns,
        lease ? leasedChunks(lease, deps.engine.streamResult(lease.path)) : inlineChunks(status),
      );
      return;
    }

    const offset = query.cursor === undefined ? 0 : decodeResultsCursor(query.cursor);
    if (offset === null) {
      lease?.release();
      throw invalidCursor();
    }
    let rows: JsonValue[][];
    try {
      rows = lease
        ? (await deps.engine.readResultPage(lease.path, offset, query.limit)).rows
        : results.rows.slice(offset, offset + query.limit);
    } finally {
      lease?.release();
    }
    const end = offset + rows.length;
    res.json({
      columns: results.columns,
      rows,
      row_count: results.row_count,
      next_cursor: end < results.row_count ? encodeResultsCursor(end) : null,
    });
  });

  return router;
}
