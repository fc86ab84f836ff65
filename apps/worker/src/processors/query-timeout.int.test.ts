import { parseFailure } from '@repo/queue';
import { startWorker, waitFor } from '@repo/test-utils';
import { enqueueRun, storeDataset, useTestQueue } from '../testing/worker-fixtures';

/** Constant folding DuckDB does not interrupt: about 45 s of one core when left alone. */
const SLOW_FOLDING =
  "SELECT 1 AS x FROM dataset WHERE length(regexp_replace(repeat('ab', 30000000), 'a', 'xyz', 'g')) > 0";

describe('worker: timeout_ms holds even while DuckDB folds constants', () => {
  const { testEnv, queue } = useTestQueue();

  it('fails the job as timeout soon after timeout_ms, and the tenant’s next job runs', async () => {
    const datasetId = await storeDataset(testEnv.dataDir, 'x\n1\n');
    const worker = await startWorker(testEnv.env);
    try {
      const jobId = await enqueueRun(queue, testEnv.config, datasetId, SLOW_FOLDING, { timeout_ms: 1_000 });
      await waitFor('the job to fail', async () => (await queue.getJobState(jobId)) === 'failed');
      const job = await queue.getJob(jobId);
      expect(parseFailure(job?.failedReason ?? '')).toMatchObject({ code: 'timeout' });
      // Left alone the folding runs ~45 s; its sandbox is killed ~0.5 s after the timeout.
      expect((job?.finishedOn ?? 0) - (job?.processedOn ?? 0)).toBeLessThan(10_000);

      const next = await enqueueRun(queue, testEnv.config, datasetId, 'SELECT count(*) AS n FROM dataset');
      await waitFor('the next job', async () => (await queue.getJobState(next)) === 'completed');
    } finally {
      await worker.stop('SIGTERM');
    }
  });
});
