import { parsePrometheusText, startWorker, waitFor } from '@repo/test-utils';
import { enqueueRun, storeDataset, useTestQueue } from '../testing/worker-fixtures';

describe('worker ops server: metrics, health, readiness', () => {
  const { testEnv, queue } = useTestQueue({ WORKER_METRICS_PORT: '0' });

  it('counts jobs by outcome and error_code, and answers /healthz and /readyz', async () => {
    const datasetId = await storeDataset(testEnv.dataDir, 'region\nNorth\nSouth\n');

    const worker = await startWorker(testEnv.env);
    try {
      const url = /"metrics":"(http:\/\/127\.0\.0\.1:\d+)\/metrics"/.exec(worker.output())?.[1];
      expect(url).toBeDefined();
      const add = (sql: string) => enqueueRun(queue, testEnv.config, datasetId, sql);
      const ok = await add('SELECT count(*) AS n FROM dataset');
      const bad = await add('SELECT CAST(region AS INTEGER) AS n FROM dataset');
      for (const id of [ok, bad]) {
        await waitFor(`job ${id}`, async () => ['completed', 'failed'].includes(await queue.getJobState(id)));
      }

      const metrics = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
      const outcomes = metrics.get('analytics_jobs_total')?.metrics ?? [];
      expect(outcomes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ labels: { status: 'succeeded', error_code: '' }, value: '1' }),
          expect.objectContaining({ labels: { status: 'failed', error_code: 'query_error' }, value: '1' }),
        ]),
      );
      const durations = metrics.get('analytics_job_duration_seconds');
      expect(durations?.type).toBe('HISTOGRAM');
      // (The parser keeps bucket counts but not the labels of histogram series.)
      expect(durations?.metrics.length).toBeGreaterThan(0);
      expect(metrics.get('analytics_jobs_active')?.metrics[0]?.value).toBe('0');

      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({
        status: 'ready',
        redis: 'ok',
        maxmemory_policy: 'noeviction',
      });
      expect((await fetch(`${url}/nope`)).status).toBe(404);
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });
});
