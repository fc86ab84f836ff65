import type { TJobStatus } from '@repo/contracts';
import { createSandboxedEngine, type SandboxedEngine } from '@repo/engine';
import {
  createRedisClient,
  dataKeys,
  dataLayout,
  jobKey,
  parseFailure,
  QUERY_QUEUE_NAME,
  readJobStatus,
} from '@repo/queue';
import { createObjectStore, datasetCacheDir, openDatasetCache } from '@repo/storage';
import { numbersCsv, SALES_CSV, startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { Worker } from 'bullmq';
import pino from 'pino';
import { enqueueRun, storeDataset, useTestQueue } from '../testing/worker-fixtures';
import { createRunQueryProcessor } from './run-query.processor';

/**
 * An aggregation over a Parquet scan, which DuckDB measures: a few seconds of md5 over 2M rows.
 * (DuckDB's figure for it sits at 0 while it starts, then rises with the scan.)
 */
const MEASURED_SQL = `SELECT x % 1000 AS g, max(${'md5('.repeat(8)}x::VARCHAR${')'.repeat(8)}) AS m FROM dataset GROUP BY g`;
/** Seconds of work DuckDB gives no figure for, even on a progress connection: a scan of range(). */
const UNMEASURED_SQL = `SELECT count(DISTINCT ${'md5('.repeat(6)}range::VARCHAR${')'.repeat(6)}) AS n FROM range(1200000)`;
/** A frame of a JavaScript stack trace. */
const FRAME = /\n\s+at /;

/**
 * The running statuses read while the query worked: without those read in the instant between
 * the worker's 100 and BullMQ's completion (one Redis round trip), which say 99, measured.
 */
function whileWorking(seen: TJobStatus[]): TJobStatus[] {
  const running = seen.filter((s) => s.status === 'running');
  let end = running.length;
  while (end > 0 && running[end - 1]?.progress === 99 && running[end - 1]?.progress_measured) end -= 1;
  return running.slice(0, end);
}

describe('worker: the progress a job records, and what its failure keeps', () => {
  const { testEnv, redis, queue } = useTestQueue();
  let worker: WorkerProcess;
  let bigId: string;
  let salesId: string;

  const status = (jobId: string) =>
    readJobStatus(redis, testEnv.prefix, jobId, 'acme', testEnv.config.RESULT_TTL_SECONDS);
  /** Every status read while the job runs (as often as Redis answers), the terminal one last. */
  async function statusesUntilEnd(jobId: string): Promise<TJobStatus[]> {
    const seen: TJobStatus[] = [];
    await waitFor(
      `job ${jobId} to end`,
      async () => {
        const now = await status(jobId);
        if (now) seen.push(now);
        return now?.status === 'succeeded' || now?.status === 'failed';
      },
      90_000,
      25,
    );
    return seen;
  }
  const storedProgress = (jobId: string) => redis.hget(jobKey(testEnv.prefix, jobId), 'progress');
  const failed = async (jobId: string) => {
    await waitFor(`job ${jobId} to fail`, async () => (await queue.getJobState(jobId)) === 'failed');
    const job = await queue.getJob(jobId);
    return { reason: parseFailure(job?.failedReason), stacktrace: job?.stacktrace ?? [] };
  };

  beforeAll(async () => {
    [bigId, salesId] = await Promise.all([
      storeDataset(testEnv.dataDir, numbersCsv(2_000_000)),
      storeDataset(testEnv.dataDir, SALES_CSV),
    ]);
    worker = await startWorker(testEnv.env);
  }, 120_000);
  afterAll(() => worker?.stop('SIGTERM'));

  it('records 100 on a job that succeeded, with one progress write when nothing was measured', async () => {
    const jobId = await enqueueRun(queue, testEnv.config, salesId, 'SELECT count(*) AS n FROM dataset');
    const [done] = (await statusesUntilEnd(jobId)).slice(-1);
    expect(done).toMatchObject({ status: 'succeeded', progress: 100, progress_measured: true });
    // The job itself says 100 (the dashboard shows this field), not its last partial figure.
    expect(await storedProgress(jobId)).toBe('100');
    expect((await queue.getJob(jobId))?.progress).toBe(100);
    // A run too quick for any figure cost exactly one progress write: the 100.
    const events = await redis.xrange(queue.keys.events ?? '', '-', '+');
    const progressWrites = events.filter(([, fields]) => {
      const entry = Object.fromEntries(fields.flatMap((v, i, all) => (i % 2 ? [] : [[v, all[i + 1]]])));
      return entry.event === 'progress' && entry.jobId === jobId;
    });
    expect(progressWrites.map(([, fields]) => fields.at(-1))).toEqual(['100']);
  });

  it('reports a measured progress that rises for an aggregation DuckDB measures', async () => {
    const jobId = await enqueueRun(queue, testEnv.config, bigId, MEASURED_SQL);
    const seen = await statusesUntilEnd(jobId);
    const measured = whileWorking(seen).filter((s) => s.progress_measured);
    expect(measured.length).toBeGreaterThan(0);
    expect(measured.some((s) => s.progress > 0 && s.progress < 100)).toBe(true);
    // Never decreasing, and once measured, measured until the end.
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const firstMeasured = seen.findIndex((s) => s.progress_measured);
    expect(seen.slice(firstMeasured).every((s) => s.progress_measured)).toBe(true);
    // Before the first measurement, the 0 says nothing was measured.
    expect(seen.slice(0, firstMeasured).every((s) => s.progress === 0)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ status: 'succeeded', progress: 100, progress_measured: true });
  });

  it('reports nothing measured while a query DuckDB gives no figure for runs', async () => {
    const jobId = await enqueueRun(queue, testEnv.config, salesId, UNMEASURED_SQL);
    await waitFor('the job to run', async () => (await status(jobId))?.status === 'running');
    const seen = await statusesUntilEnd(jobId);
    const running = whileWorking(seen);
    expect(running.length).toBeGreaterThan(10);
    expect(running.every((s) => s.progress === 0 && s.progress_measured === false)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ status: 'succeeded', progress: 100, progress_measured: true });
  });

  it('keeps the reason alone for a query error and a timeout, and the stack for an internal failure', async () => {
    const bad = await failed(
      await enqueueRun(queue, testEnv.config, salesId, 'SELECT CAST(region AS INTEGER) AS r FROM dataset'),
    );
    const slow = await failed(
      await enqueueRun(queue, testEnv.config, bigId, MEASURED_SQL, { timeout_ms: 300 }),
    );
    expect([bad.reason.code, slow.reason.code]).toEqual(['query_error', 'timeout']);
    for (const { stacktrace } of [bad, slow]) {
      expect(stacktrace).toHaveLength(1);
      expect(stacktrace[0]).not.toMatch(FRAME);
      expect(stacktrace[0]).not.toContain('UnrecoverableError');
      expect(stacktrace[0]).not.toContain(testEnv.dataDir);
      expect(stacktrace[0]).not.toMatch(/\.ts\b|node_modules/);
      expect(stacktrace[0]).toMatch(/^(query_error|timeout): /);
    }

    // A payload no worker understands is an internal failure: its stack stays, for operators.
    const internalId = await enqueueRun(queue, testEnv.config, salesId, '');
    const internal = await failed(internalId);
    expect(internal.reason.code).toBe('internal');
    expect(internal.stacktrace[0]).toMatch(FRAME);
  });
});

describe('worker: a run on a connection without progress (every progress connection busy)', () => {
  const { testEnv, redis, queue } = useTestQueue();
  const blocking = createRedisClient(testEnv.config, 'blocking', () => undefined);
  let engine: SandboxedEngine;
  let worker: Worker;
  let bigId: string;

  beforeAll(async () => {
    const { config } = testEnv;
    bigId = await storeDataset(testEnv.dataDir, numbersCsv(2_000_000));
    // The worker's own wiring (main.ts), with sandboxes that have no progress connection.
    engine = await createSandboxedEngine({
      dataDir: config.DATA_DIR,
      tenantDirs: (tenant) => [
        dataLayout.tenantDir(config.DATA_DIR, tenant),
        `${datasetCacheDir(config.DATA_DIR)}/${dataKeys.tenant(tenant)}`,
      ],
      memoryMaxBytes: config.SANDBOX_MEMORY_MAX,
      maxProcesses: 2,
      progressConnections: 0,
    });
    const store = createObjectStore(config);
    worker = new Worker(
      QUERY_QUEUE_NAME,
      createRunQueryProcessor({
        config,
        engine,
        store,
        cache: await openDatasetCache(store, config),
        redis,
        logger: pino({ level: 'silent' }),
        isCancelRequested: async () => false,
        metrics: { jobStarted: () => undefined, jobEnded: () => undefined },
        onJobEnded: async () => undefined,
      }),
      { connection: blocking, prefix: testEnv.prefix, concurrency: 1 },
    );
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await engine?.close();
    blocking.disconnect();
  });

  it('reports progress_measured false while it runs, for a query DuckDB would otherwise measure', async () => {
    const jobId = await enqueueRun(queue, testEnv.config, bigId, MEASURED_SQL);
    const seen: TJobStatus[] = [];
    await waitFor(
      'the job to end',
      async () => {
        const now = await readJobStatus(redis, testEnv.prefix, jobId, 'acme', 60);
        if (now) seen.push(now);
        return now?.status === 'succeeded' || now?.status === 'failed';
      },
      90_000,
      25,
    );
    const running = whileWorking(seen);
    expect(running.length).toBeGreaterThan(10);
    expect(running.every((s) => s.progress === 0 && s.progress_measured === false)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ status: 'succeeded', progress: 100, progress_measured: true });
  });
});
