import { rm } from 'node:fs/promises';
import type { Config } from '@repo/config';
import { EngineError, type SandboxedEngine } from '@repo/engine';
import {
  CANCELLED_MESSAGE,
  dataKeys,
  dataLayout,
  formatFailure,
  parseFailure,
  type RedisClient,
  type TRunQueryPayload,
  type TRunQueryResult,
  tenantStoredBytes,
  ZRunQueryPayload,
} from '@repo/queue';
import { type DatasetCache, isMissing, type ObjectStore } from '@repo/storage';
import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { Logger } from 'pino';
import type { WorkerMetrics } from '../telemetry/worker-metrics';
import { expectedEnding, INTERRUPT_REASONS, toJobFailure } from './job-failure-error';

export interface RunQueryDeps {
  config: Pick<
    Config,
    | 'DATA_DIR'
    | 'QUEUE_PREFIX'
    | 'RESULTS_INLINE_MAX_ROWS'
    | 'RESULTS_INLINE_MAX_BYTES'
    | 'RESULT_MAX_ROWS'
    | 'RESULT_MAX_BYTES'
    | 'MAX_DATASET_BYTES_PER_TENANT'
  >;
  engine: SandboxedEngine;
  /** Where the tenant's stored bytes are counted (a spilled result counts until retention). */
  redis: RedisClient;
  /** Where datasets are read from and results written to: DATA_DIR, or a bucket. */
  store: ObjectStore;
  /** Local copies of datasets for DuckDB (the stored files themselves on the local store). */
  cache: DatasetCache;
  logger: Logger;
  /** Whether a cancel was asked for before this worker took the job (see cancelSignal). */
  isCancelRequested: (jobId: string) => Promise<boolean>;
  metrics: Pick<WorkerMetrics, 'jobStarted' | 'jobEnded'>;
  /** Called once the job has reached its final state (webhooks hang off it). */
  onJobEnded: (jobId: string, payload: TRunQueryPayload) => Promise<void>;
}

/** Distinct SQL texts a worker remembers as vetted. */
const VETTED_SQL_REMEMBERED = 1_000;

/**
 * Counts a spilled result in the tenant's stored bytes; one that does not fit the tenant's
 * quota is removed and fails the job (retrying cannot make room).
 */
async function countResultBytes(
  deps: RunQueryDeps,
  tenant: string,
  key: string,
  bytes: number,
): Promise<void> {
  const max = deps.config.MAX_DATASET_BYTES_PER_TENANT;
  const { added, used } = await tenantStoredBytes.add(
    deps.redis,
    deps.config.QUEUE_PREFIX,
    tenant,
    bytes,
    max,
  );
  if (added) return;
  await deps.store.delete(key);
  throw new EngineError(
    'query_error',
    `Keeping this result (${bytes} bytes) would take this tenant's datasets and kept results past MAX_DATASET_BYTES_PER_TENANT (${max}; ${used} in use); delete datasets, or aggregate further`,
  );
}

/**
 * Progress writes, in order (one chain per job). BullMQ's `progress` field is written only
 * with a figure DuckDB measured, never while the engine reports -1 (nothing measured): the
 * field's presence is what the status reads as `progress_measured` (job-status.ts), with no
 * field or command of its own. A figure is written when it rises, and repeated at least once
 * a second while it stalls. A retry starts from what the attempts before it measured, so the
 * figure never goes back. On success, 100 is written — the one command a success costs — so
 * that the job itself (and the dashboard, which shows it) does not stay at its last figure.
 */
function progressReporter(job: Job, logger: Logger) {
  // BullMQ reads an absent field as 0: only a figure above it is surely a measurement.
  let reported = typeof job.progress === 'number' && job.progress > 0 ? Math.min(99, job.progress) : -1;
  let lastWrite = 0;
  let ended = false;
  let chain: Promise<void> = Promise.resolve();
  const write = (value: number) => {
    chain = chain.then(() =>
      job
        .updateProgress(value)
        .catch((error: unknown) => logger.warn({ err: error }, 'progress update failed')),
    );
  };
  return {
    /** The engine's figure: -1 while DuckDB has measured nothing, then 0..99, never falling. */
    report(percent: number) {
      if (ended || percent < 0) return;
      const now = Date.now();
      if (percent <= reported && now - lastWrite < 1_000) return;
      reported = Math.max(reported, percent);
      lastWrite = now;
      write(reported);
    },
    flushed: () => chain,
    /** The run succeeded: 100, after the writes already on their way. */
    succeeded() {
      ended = true;
      write(100);
      return chain;
    },
  };
}

/**
 * Runs one saved query in DuckDB. BullMQ hands an AbortSignal only to processors that
 * declare a third parameter: it fires on cancel and on shutdown past the grace period.
 */
function runQueryWith(deps: RunQueryDeps) {
  const vetted = new Set<string>();
  /**
   * The SQL was vetted when it was saved, and runs where only its tenant's files can be
   * reached. This process vets it again all the same, once per text: the payload may predate a
   * DuckDB upgrade (new functions) or a stricter check, or not come from the API.
   */
  async function vetOnce(sql: string): Promise<void> {
    if (vetted.has(sql)) return;
    await deps.engine.vetSql(sql);
    // Insertion order makes the set a FIFO: the oldest text is forgotten first.
    if (vetted.size >= VETTED_SQL_REMEMBERED) vetted.delete(vetted.values().next().value ?? '');
    vetted.add(sql);
  }

  return async function runQuery(
    job: Job<TRunQueryPayload, TRunQueryResult>,
    token: string | undefined,
    signal?: AbortSignal,
  ): Promise<TRunQueryResult> {
    const logger = deps.logger.child({ jobId: job.id, queryId: job.data?.query_id });
    const parsed = ZRunQueryPayload.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(
        formatFailure('internal', 'The job payload is not one this worker understands.'),
      );
    }
    const payload = parsed.data;
    if (job.id && (await deps.isCancelRequested(job.id))) {
      throw expectedEnding('cancelled', CANCELLED_MESSAGE);
    }
    const datasetKey = dataKeys.dataset(payload.tenant, payload.dataset_id);
    const resultKey = dataKeys.result(payload.tenant, String(job.id));
    // On a bucket the result is written in the tenant's local folder, then uploaded.
    const resultInPlace = deps.store.localPathOf(resultKey) !== null;
    const spillPath = dataLayout.resultFile(deps.config.DATA_DIR, payload.tenant, String(job.id));

    const timeout = AbortSignal.timeout(payload.timeout_ms);
    const interrupt = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const progress = progressReporter(job, logger);
    const started = Date.now();
    logger.info({ attempt: job.attemptsStarted }, 'query started');
    try {
      await vetOnce(payload.sql);
      // DuckDB reads a local file: the stored one, or this worker's cached copy of it. The
      // stored one is not even looked at first (a file-system call on every job's hot path):
      // a missing file fails the query, and the question is asked then (below).
      const ownFile = deps.store.localPathOf(datasetKey);
      const dataset = ownFile
        ? { path: ownFile, release: () => undefined }
        : await deps.cache.ensureLocal(datasetKey, { signal: interrupt });
      const result = await deps.engine
        .execute(payload.tenant, {
          sql: payload.sql,
          params: payload.params,
          datasetPath: dataset.path,
          inlineRowLimit: deps.config.RESULTS_INLINE_MAX_ROWS,
          // Rows past the inline page go to a file, never into Redis.
          spillPath,
          maxRows: deps.config.RESULT_MAX_ROWS,
          maxResultBytes: deps.config.RESULT_MAX_BYTES,
          inlineMaxBytes: deps.config.RESULTS_INLINE_MAX_BYTES,
          signal: interrupt,
          onProgress: progress.report,
        })
        .finally(() => dataset.release());
      if (result.spilledTo && !resultInPlace) {
        try {
          await deps.store.putFile(resultKey, spillPath, { signal: interrupt });
        } finally {
          await rm(spillPath, { force: true });
        }
      }
      if (result.spilledBytes !== undefined) {
        await countResultBytes(deps, payload.tenant, resultKey, result.spilledBytes);
      }
      await progress.succeeded();
      logger.info({ ms: Date.now() - started, rows: result.rowCount }, 'query succeeded');
      return {
        columns: result.columns,
        rows: result.rows,
        row_count: result.rowCount,
        ...(result.rowCount > result.rows.length ? { truncated: true as const } : {}),
      };
    } catch (error) {
      await progress.flushed();
      const reason = timeout.aborted ? INTERRUPT_REASONS.timeout : signal?.reason;
      if (reason === INTERRUPT_REASONS.shutdown && token) {
        // Handed back untouched for another worker; WaitingError tells BullMQ we moved it.
        await job.moveToWait(token);
        logger.info('query handed back on shutdown');
        throw new WaitingError();
      }
      // Whether the dataset is still there is asked only once the query has failed: the
      // question costs every successful run a call to the store for a rare answer.
      const datasetGone =
        isMissing(error) ||
        (!interrupt.aborted && (await deps.store.head(datasetKey).catch(() => ({}))) === null);
      if (datasetGone) {
        throw expectedEnding(
          'query_error',
          `The dataset ${payload.dataset_id} no longer exists; upload it again and rerun.`,
        );
      }
      // A transfer stopped by the abort rejects with the signal's reason, not an engine error.
      const thrown =
        interrupt.aborted && !(error instanceof EngineError)
          ? new EngineError('interrupted', 'interrupted')
          : error;
      const failure = toJobFailure(thrown, { timeoutMs: payload.timeout_ms, reason });
      logger.warn(
        { err: error instanceof Error ? error.message : error, failure: failure.message },
        'query failed',
      );
      throw failure;
    }
  };
}

/** The processor BullMQ calls: runQuery, counted and timed in the worker's metrics. */
export function createRunQueryProcessor(deps: RunQueryDeps) {
  const runQuery = runQueryWith(deps);
  return async function processRunQuery(
    job: Job<TRunQueryPayload, TRunQueryResult>,
    token: string | undefined,
    signal?: AbortSignal,
  ): Promise<TRunQueryResult> {
    deps.metrics.jobStarted();
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await runQuery(job, token, signal);
      deps.metrics.jobEnded('succeeded', null, seconds());
      await deps.onJobEnded(String(job.id), job.data);
      return result;
    } catch (error) {
      const final =
        !(error instanceof WaitingError) &&
        (error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1));
      if (final) await deps.onJobEnded(String(job.id), job.data);
      if (error instanceof WaitingError) deps.metrics.jobEnded('handed_back', null, seconds());
      else
        deps.metrics.jobEnded(
          'failed',
          parseFailure(error instanceof Error ? error.message : '').code,
          seconds(),
        );
      throw error;
    }
  };
}
