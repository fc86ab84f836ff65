import { numbersCsv, SLOW_SQL, startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { enqueueRun, storeDataset, useTestQueue } from './testing/worker-fixtures';

describe('worker process: graceful shutdown', () => {
  const { testEnv, queue } = useTestQueue({ WORKER_CONCURRENCY: '1' });
  const started: WorkerProcess[] = [];
  let datasetId: string;

  beforeAll(async () => {
    datasetId = await storeDataset(testEnv.dataDir, numbersCsv(30_000));
  });

  afterAll(async () => {
    await Promise.all(started.map((w) => w.stop('SIGKILL')));
  });

  const enqueue = (sql: string) => enqueueRun(queue, testEnv.config, datasetId, sql);

  async function launch(env: Record<string, string>): Promise<WorkerProcess> {
    const worker = await startWorker({ ...testEnv.env, ...env });
    started.push(worker);
    return worker;
  }

  it('finishes a running job within the grace period, then exits 0', async () => {
    const worker = await launch({ WORKER_SHUTDOWN_GRACE_MS: '60000' });
    const jobId = await enqueue('SELECT count(*) AS n FROM dataset');
    await waitFor('the job to start', async () => (await queue.getJob(jobId))?.processedOn);
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(await queue.getJobState(jobId)).toBe('completed');
    expect((await queue.getJob(jobId))?.returnvalue).toEqual({
      columns: ['n'],
      rows: [[30_000]],
      row_count: 1,
    });
  });

  it('hands a long job back past the grace period, and another worker completes it', async () => {
    const first = await launch({ WORKER_SHUTDOWN_GRACE_MS: '300' });
    const jobId = await enqueue(SLOW_SQL);
    await waitFor('the job to start', async () => (await queue.getJob(jobId))?.processedOn);
    const stoppedAt = Date.now();
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    expect(await queue.getJobState(jobId)).toBe('waiting');
    expect(first.output()).toContain('handed back on shutdown');

    const second = await launch({});
    await waitFor(
      'the job to complete elsewhere',
      async () => (await queue.getJobState(jobId)) === 'completed',
      120_000,
    );
    const job = await queue.getJob(jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.returnvalue.row_count).toBe(1);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('takes no new job once it is stopping', async () => {
    const worker = await launch({ WORKER_SHUTDOWN_GRACE_MS: '60000' });
    // Long enough that the signal lands while it runs.
    const running = await enqueue(SLOW_SQL);
    await waitFor('the job to start', async () => (await queue.getJob(running))?.processedOn);
    const stopping = worker.stop('SIGTERM');
    await waitFor('the worker to begin its shutdown', async () =>
      worker.output().includes('taking no new jobs'),
    );
    const later = await enqueue('SELECT 1 AS one FROM dataset LIMIT 1');
    expect(await stopping).toBe(0);
    expect(await queue.getJobState(running)).toBe('completed');
    expect(await queue.getJobState(later)).toBe('waiting');
  });
});
