import { access } from 'node:fs/promises';
import { dataLayout, jobIndexKeys } from '@repo/queue';
import { startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { createTestApi, type TestApi } from '../../testing/test-api';

/** Retention of two seconds, swept by two workers at once. */
describe('retention: expired jobs leave no key and no file behind', () => {
  let api: TestApi;
  let workers: WorkerProcess[];
  let datasetId: string;

  beforeAll(async () => {
    api = await createTestApi({
      RESULT_TTL_SECONDS: '2',
      RETENTION_SWEEP_INTERVAL_MS: '200',
      RESULTS_INLINE_MAX_ROWS: '10',
    });
    workers = await Promise.all([startWorker(api.env), startWorker(api.env)]);
    const csv = ['x', ...Array.from({ length: 100 }, (_, i) => String(i))].join('\n');
    datasetId = (await api.as().post('/v1/datasets?name=n').set('Content-Type', 'text/csv').send(csv)).body
      .dataset_id;
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api.close();
  });

  async function keysOf(jobId: string): Promise<string[]> {
    const { redis } = api.deps;
    const keys = await redis.keys(`${api.prefix}*${jobId}*`);
    const indexed = await Promise.all(
      [jobIndexKeys.tenant(api.prefix, 'acme'), jobIndexKeys.byCreation(api.prefix)].map(async (key) =>
        (await redis.zrange(key, 0, -1)).some((member) => member.includes(jobId)) ? [key] : [],
      ),
    );
    return [...keys, ...indexed.flat()];
  }

  it('answers 404 once expires_at passes, then removes the job, its index entries and its files', async () => {
    const big = await api
      .as()
      .post('/v1/save')
      .send({ name: 'big', query: 'SELECT * FROM dataset', dataset_id: datasetId });
    const bad = await api
      .as()
      .post('/v1/save')
      .send({ name: 'bad', query: 'SELECT CAST($v AS INTEGER) AS n FROM dataset', dataset_id: datasetId });
    const runs = [
      await api.as().post(`/v1/query/${big.body.query_id}`).send({ execution_mode: 'async' }),
      await api
        .as()
        .post(`/v1/query/${bad.body.query_id}`)
        .set('Idempotency-Key', 'k1')
        .send({ execution_mode: 'async', parameters: { v: 'x' } }),
    ];
    const ids = runs.map((r) => r.body.job_id as string);
    const finished = await Promise.all(
      ids.map((id) =>
        waitFor(`job ${id} to end`, async () => {
          const res = await api.as().get(`/v1/jobs/${id}`);
          return res.body.status === 'succeeded' || res.body.status === 'failed' ? res.body : null;
        }),
      ),
    );
    expect(finished.map((j) => j.status)).toEqual(['succeeded', 'failed']);
    for (const job of finished) {
      expect(Date.parse(job.expires_at) - Date.parse(job.completed_at)).toBe(2_000);
    }
    const resultFile = dataLayout.resultFile(api.dataDir, 'acme', ids[0] ?? '');
    await access(resultFile);
    expect(finished[0].results.truncated).toBe(true);
    expect((await keysOf(ids[0] ?? '')).length).toBeGreaterThan(0);

    for (const id of ids) {
      await waitFor(
        `job ${id} to answer 404`,
        async () => (await api.as().get(`/v1/jobs/${id}`)).status === 404,
        10_000,
      );
      await waitFor(`job ${id} to leave Redis`, async () => (await keysOf(id)).length === 0, 10_000);
    }
    await expect(access(resultFile)).rejects.toThrow();
    expect((await api.as().get(`/v1/jobs/${ids[0]}/results`)).status).toBe(404);
    expect((await api.as().get('/v1/jobs')).body.data).toEqual([]);
    // What the sweep must never touch: the dataset and the saved queries.
    expect((await api.as().get(`/v1/datasets/${datasetId}`)).status).toBe(200);
    expect((await api.as().get(`/v1/queries/${big.body.query_id}`)).status).toBe(200);
  });
});
