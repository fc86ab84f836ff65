import { rm } from 'node:fs/promises';
import { dataLayout, parseFailure } from '@repo/queue';
import { startWorker, waitFor } from '@repo/test-utils';
import { enqueueRun, storeDataset, useTestQueue } from '../testing/worker-fixtures';

describe('worker: a run whose dataset was deleted after it was queued', () => {
  const { testEnv, queue } = useTestQueue();

  it('fails at once as query_error, saying so, without retries', async () => {
    const datasetId = await storeDataset(testEnv.dataDir, 'x\n1\n');
    await rm(dataLayout.datasetFile(testEnv.dataDir, 'acme', datasetId));
    const worker = await startWorker(testEnv.env);
    try {
      const jobId = await enqueueRun(queue, testEnv.config, datasetId, 'SELECT count(*) AS n FROM dataset');
      await waitFor('the job to fail', async () => (await queue.getJobState(jobId)) === 'failed');
      const job = await queue.getJob(jobId);
      expect(parseFailure(job?.failedReason ?? '')).toEqual({
        code: 'query_error',
        message: `The dataset ${datasetId} no longer exists; upload it again and rerun.`,
      });
      expect(job?.attemptsMade).toBe(1);
    } finally {
      await worker.stop('SIGTERM');
    }
  });
});
