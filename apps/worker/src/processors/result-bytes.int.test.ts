import { readdir, stat } from 'node:fs/promises';
import { dataLayout, indexJob, parseFailure, tenantStoredBytes } from '@repo/queue';
import { numbersCsv, startWorker, waitFor } from '@repo/test-utils';
import { enqueueRun, storeDataset, useTestQueue } from '../testing/worker-fixtures';

/** 3,000 rows of 32 hex characters: about 100 KB of Parquet, past the first page of 10 rows. */
const WIDE_SQL = 'SELECT x, md5(x::VARCHAR) AS h FROM dataset';

async function resultFiles(dataDir: string): Promise<string[]> {
  return readdir(dataLayout.resultsDir(dataDir, 'acme')).catch(() => []);
}

describe('worker: result bytes are bounded and counted with the tenant’s datasets', () => {
  const { testEnv, redis, queue } = useTestQueue({
    RESULTS_INLINE_MAX_ROWS: '10',
    RESULT_MAX_BYTES: '65536',
    RESULT_TTL_SECONDS: '1',
    RETENTION_SWEEP_INTERVAL_MS: '200',
  });
  const ended = async (id: string) => {
    await waitFor(`job ${id}`, async () => ['completed', 'failed'].includes(await queue.getJobState(id)));
    return queue.getJob(id);
  };
  const storedBytes = async () => Number(await redis.get(tenantStoredBytes.key(testEnv.prefix, 'acme')));

  it('fails a result over RESULT_MAX_BYTES as query_error, keeping no file', async () => {
    const datasetId = await storeDataset(testEnv.dataDir, numbersCsv(3_000));
    const worker = await startWorker(testEnv.env);
    try {
      const job = await ended(await enqueueRun(queue, testEnv.config, datasetId, WIDE_SQL));
      expect(parseFailure(job?.failedReason ?? '')).toMatchObject({
        code: 'query_error',
        message: expect.stringContaining('RESULT_MAX_BYTES'),
      });
      expect(job?.attemptsMade).toBe(1);
      expect(await resultFiles(testEnv.dataDir)).toEqual([]);

      // A narrower result fits: its file counts in the tenant's stored bytes until retention.
      await redis.set(tenantStoredBytes.key(testEnv.prefix, 'acme'), '1000');
      const fitsId = await enqueueRun(queue, testEnv.config, datasetId, 'SELECT x FROM dataset');
      // Indexed as the API indexes what it enqueues: retention finds jobs by that index.
      await indexJob(redis, testEnv.prefix, {
        jobId: fitsId,
        tenant: 'acme',
        queryId: 'qry_x',
        createdMs: Date.now(),
      });
      const fits = await ended(fitsId);
      expect(fits?.returnvalue).toMatchObject({ row_count: 3_000, truncated: true });
      const file = dataLayout.resultFile(testEnv.dataDir, 'acme', String(fits?.id));
      const { size } = await stat(file);
      expect(await storedBytes()).toBe(1000 + size);
      await waitFor(
        'retention to remove the result',
        async () => (await resultFiles(testEnv.dataDir)).length === 0,
      );
      await waitFor('its bytes to be given back', async () => (await storedBytes()) === 1000);
    } finally {
      await worker.stop('SIGTERM');
    }
  });

  it('fails a result that would pass MAX_DATASET_BYTES_PER_TENANT, keeping no file', async () => {
    const datasetId = await storeDataset(testEnv.dataDir, numbersCsv(3_000));
    const worker = await startWorker({ ...testEnv.env, MAX_DATASET_BYTES_PER_TENANT: '2000' });
    try {
      await redis.set(tenantStoredBytes.key(testEnv.prefix, 'acme'), '1500');
      const job = await ended(await enqueueRun(queue, testEnv.config, datasetId, 'SELECT x FROM dataset'));
      expect(parseFailure(job?.failedReason ?? '')).toMatchObject({
        code: 'query_error',
        message: expect.stringContaining('MAX_DATASET_BYTES_PER_TENANT (2000; 1500 in use)'),
      });
      expect(await resultFiles(testEnv.dataDir)).toEqual([]);
      expect(await storedBytes()).toBe(1500);
    } finally {
      await worker.stop('SIGTERM');
    }
  });
});
