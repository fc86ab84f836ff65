import type { TJobStatus } from '@repo/contracts';
import { numbersCsv, startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { filesUnder, type ObjectStoreHarness, startObjectStoreHarness } from './testing/object-store-harness';
import { createTestApi, type TestApi } from './testing/test-api';

const ROWS = 1_000;

/**
 * Issue "Object storage", with one worker whose every download can be counted at the bucket:
 * its dataset cache (cold, then warm), retention of result objects, and a store that stays down.
 */
describe('object store with one worker: dataset cache, retention, a store that stays down', () => {
  let h: ObjectStoreHarness;
  let api: TestApi;
  let worker: WorkerProcess;
  let workerDir: string;
  let datasetId: string;
  let countQueryId: string;
  let allQueryId: string;

  const job = async (id: string) => h.record(await api.as().get(`/v1/jobs/${id}`)).body as TJobStatus;
  const untilTerminal = (id: string) =>
    waitFor(`job ${id} to end`, async () => {
      const status = await job(id);
      return status.status === 'succeeded' || status.status === 'failed' ? status : null;
    });
  const run = async (queryId: string, body: object) =>
    h.record(await api.as().post(`/v1/query/${queryId}`).send(body));
  const datasetGets = () =>
    h.s3.requests.filter(
      (request) =>
        request.method === 'GET' &&
        request.url.includes('x-id=GetObject') &&
        request.url.includes(`/${h.datasetKey(datasetId)}`),
    ).length;
  const workerCopy = () => `dataset-cache/${h.datasetKey(datasetId).slice(h.prefix.length + 1)}`;

  beforeAll(async () => {
    h = await startObjectStoreHarness();
    api = await createTestApi({
      ...h.env,
      RESULTS_INLINE_MAX_ROWS: '10',
      RESULT_TTL_SECONDS: '2',
      RETENTION_SWEEP_INTERVAL_MS: '200',
      JOB_ATTEMPTS: '2',
    });
    workerDir = await h.dataDir();
    worker = await startWorker({ ...api.env, DATA_DIR: workerDir });
    const uploaded = h.record(
      await api.as().post('/v1/datasets?name=n').set('Content-Type', 'text/csv').send(numbersCsv(ROWS)),
    );
    expect(uploaded.status).toBe(201);
    datasetId = uploaded.body.dataset_id;
    const count = h.record(
      await api
        .as()
        .post('/v1/save')
        .send({ name: 'count', query: 'SELECT count(*) AS n FROM dataset WHERE x < $n' }),
    );
    countQueryId = count.body.query_id;
    const all = h.record(
      await api
        .as()
        .post('/v1/save')
        .send({ name: 'all', query: 'SELECT x FROM dataset ORDER BY x', dataset_id: datasetId }),
    );
    allQueryId = all.body.query_id;
  });

  afterAll(async () => {
    await h?.s3.up();
    await worker?.stop();
    await api?.close();
    await h?.close();
  });

  it('a worker with an empty DATA_DIR downloads the dataset for its first job, and never again', async () => {
    expect(await filesUnder(workerDir)).toEqual([]);
    const before = datasetGets();

    const cold = await run(countQueryId, { dataset_id: datasetId, parameters: { n: 250 } });
    expect(cold.status).toBe(200);
    expect(cold.body).toMatchObject({ status: 'succeeded', results: { rows: [[250]], row_count: 1 } });
    expect(datasetGets() - before).toBe(1);
    expect(await filesUnder(workerDir)).toContain(workerCopy());

    const warm = await Promise.all(
      [10, 500, 999].map((n) =>
        run(countQueryId, { dataset_id: datasetId, parameters: { n }, execution_mode: 'async' }),
      ),
    );
    const done = await Promise.all(warm.map((res) => untilTerminal(res.body.job_id)));
    expect(done.map((status) => status.results?.rows)).toEqual([[[10]], [[500]], [[999]]]);
    expect(
      (await run(countQueryId, { dataset_id: datasetId, parameters: { n: 1 } })).body.results.rows,
    ).toEqual([[1]]);
    expect(datasetGets() - before).toBe(1);
  });

  it('retention deletes the result object with the job, and leaves the dataset', async () => {
    const res = await run(allQueryId, { execution_mode: 'async' });
    const jobId: string = res.body.job_id;
    const done = await untilTerminal(jobId);
    expect(done).toMatchObject({ status: 'succeeded', results: { row_count: ROWS, truncated: true } });
    expect(Date.parse(done.expires_at ?? '') - Date.parse(done.completed_at ?? '')).toBe(2_000);
    expect(await h.bucket.head(h.resultKey(jobId))).not.toBeNull();

    await waitFor(
      'the job to answer 404',
      async () => h.record(await api.as().get(`/v1/jobs/${jobId}`)).status === 404,
      10_000,
    );
    await waitFor(
      'the result object to leave the bucket',
      async () => (await h.bucket.head(h.resultKey(jobId))) === null,
      10_000,
    );
    expect(h.record(await api.as().get(`/v1/jobs/${jobId}/results`)).status).toBe(404);
    expect(await h.objectKeys('tenants/acme/results/')).toEqual([]);
    expect(await h.bucket.head(h.datasetKey(datasetId))).not.toBeNull();
  });

  it('a job whose dataset cannot be read while the store stays down fails as internal after its retries', async () => {
    const fresh = h.record(
      await api.as().post('/v1/datasets?name=fresh').set('Content-Type', 'text/csv').send(numbersCsv(20)),
    );
    await h.s3.down();
    try {
      const res = await run(countQueryId, {
        dataset_id: fresh.body.dataset_id,
        parameters: { n: 5 },
        execution_mode: 'async',
      });
      expect(res.status).toBe(202);
      const failed = await untilTerminal(res.body.job_id);
      expect(failed).toMatchObject({ status: 'failed', error_code: 'internal', attempts: 2, results: null });
      expect(failed.error).toMatch(/internal error/);
    } finally {
      await h.s3.up();
    }
  });

  it('never shows the store’s secret key: not in any answer, not in the worker’s output', async () => {
    expect(h.answers.length).toBeGreaterThan(10);
    for (const answer of h.answers) expect(answer).not.toContain(h.secret);
    expect(worker.output()).toContain('worker ready');
    expect(worker.output()).not.toContain(h.secret);
  });

  it('a worker pointed at a bucket that does not exist fails jobs as internal after retries, and says why', async () => {
    await worker.stop();
    worker = await startWorker({
      ...api.env,
      DATA_DIR: await h.dataDir(),
      OBJECT_STORE_URL: `s3://no-such-bucket/${h.prefix}`,
    });
    const res = await run(countQueryId, {
      dataset_id: datasetId,
      parameters: { n: 5 },
      execution_mode: 'async',
    });
    const failed = await untilTerminal(res.body.job_id);
    // An operator's mistake, not the user's dataset gone: retried, then internal.
    expect(failed).toMatchObject({ status: 'failed', error_code: 'internal', attempts: 2 });
    expect(worker.output()).toContain('the bucket does not exist');
  });
});
