import { dataLayout, parseFailure } from '@repo/queue';
import { startWorker, waitFor } from '@repo/test-utils';
import { enqueueRun, storeDataset, useTestQueue } from '../testing/worker-fixtures';

/**
 * A payload that never went through the API's save-time check (an old saved query, a newer
 * DuckDB, a bug there): the worker checks the SQL again before DuckDB runs it (the tenant's
 * sandbox would refuse another tenant's file anyway; the check names the function).
 */
describe('worker: SQL vetted again at run time', () => {
  const { testEnv, queue } = useTestQueue();

  it("refuses a query that reads another dataset's file, and still runs allowed ones", async () => {
    const own = await storeDataset(testEnv.dataDir, 'x\n1\n2\n');
    const others = await storeDataset(testEnv.dataDir, 'secret\nglobex-only\n', 'globex');
    const othersFile = dataLayout.datasetFile(testEnv.dataDir, 'globex', others);
    const worker = await startWorker(testEnv.env);
    try {
      const add = (sql: string) => enqueueRun(queue, testEnv.config, own, sql);
      const ended = async (id: string) => {
        await waitFor(`job ${id}`, async () => ['completed', 'failed'].includes(await queue.getJobState(id)));
        return queue.getJob(id);
      };

      const stealing = await ended(await add(`SELECT * FROM read_parquet('${othersFile}')`));
      expect(await queue.getJobState(stealing?.id ?? '')).toBe('failed');
      const failure = parseFailure(stealing?.failedReason ?? '');
      expect(failure.code).toBe('query_error');
      expect(failure.message).toMatch(/read_parquet/);
      expect(failure.message).not.toContain(othersFile);
      expect(stealing?.attemptsMade).toBe(1);

      // Twice, so the second run takes the already-vetted path.
      for (let i = 0; i < 2; i += 1) {
        const counted = await ended(await add('SELECT count(*) AS n FROM dataset'));
        expect(counted?.returnvalue).toMatchObject({ rows: [[2]] });
      }
    } finally {
      await worker.stop('SIGTERM');
    }
  });
});
