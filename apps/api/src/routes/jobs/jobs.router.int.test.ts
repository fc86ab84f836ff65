import { JOB_STATUSES, type TJobStatus } from '@repo/contracts';
import { numbersCsv, SLOW_SQL, startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { createTestApi, type TestApi } from '../../testing/test-api';

/** The seed's sales, plus April rows the month filter must leave out. */
const SALES_CSV = [
  'region,revenue,month',
  'North,20000.25,2024-05',
  'South,15000.00,2024-05',
  'North,28320.25,2024-05',
  'South,16205.00,2024-05',
  'North,99999.99,2024-04',
  'West,12.00,2024-04',
].join('\n');

const SEED_SQL =
  'SELECT region, SUM(revenue) AS total_revenue FROM dataset WHERE month = $month GROUP BY region ORDER BY region';

/** A self cross join that keeps one DuckDB thread busy for seconds, reporting progress. */

describe('jobs: the seed flow, end to end, with real worker processes', () => {
  let api: TestApi;
  let workers: WorkerProcess[] = [];
  let salesId: string;
  let seedQueryId: string;
  let slowQueryId: string;

  const getJob = async (jobId: string) => (await api.as().get(`/v1/jobs/${jobId}`)).body as TJobStatus;
  const untilTerminal = (jobId: string) =>
    waitFor(`job ${jobId} to end`, async () => {
      const job = await getJob(jobId);
      return job.status === 'succeeded' || job.status === 'failed' ? job : null;
    });

  beforeAll(async () => {
    api = await createTestApi({ WORKER_CONCURRENCY: '2' });
    const sales = await api
      .as()
      .post('/v1/datasets?name=sales')
      .set('Content-Type', 'text/csv')
      .send(SALES_CSV);
    salesId = sales.body.dataset_id;
    const numbers = numbersCsv(30_000);
    const big = await api
      .as()
      .post('/v1/datasets?name=numbers')
      .set('Content-Type', 'text/csv')
      .send(numbers);
    const seed = await api
      .as()
      .post('/v1/save')
      .send({ name: 'monthly_revenue_by_region', query: SEED_SQL, dataset_id: salesId });
    seedQueryId = seed.body.query_id;
    const slow = await api
      .as()
      .post('/v1/save')
      .send({ name: 'slow', query: SLOW_SQL, dataset_id: big.body.dataset_id });
    slowQueryId = slow.body.query_id;
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api.close();
  });

  it('queues an async run, answering 202 with Location once Redis holds the job', async () => {
    const res = await api
      .as()
      .post(`/v1/query/${seedQueryId}`)
      .send({ parameters: { month: '2024-05' }, execution_mode: 'async' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      query_id: seedQueryId,
      dataset_id: salesId,
      execution_mode: 'async',
      status: 'queued',
      results: null,
      job_id: expect.stringMatching(/^job_[A-Za-z0-9_-]{22}$/),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(res.headers.location).toBe(`/v1/jobs/${res.body.job_id}`);

    // No worker runs yet: the job waits, exactly as the seed describes `queued`.
    const queued = await getJob(res.body.job_id);
    expect(queued).toMatchObject({
      job_id: res.body.job_id,
      status: 'queued',
      progress: 0,
      results: null,
      error: null,
      completed_at: null,
      started_at: null,
      attempts: 0,
    });

    workers = [await startWorker(api.env), await startWorker(api.env)];
    const done = await untilTerminal(res.body.job_id);

    // The seed's response, key by key and type by type.
    expect(Object.keys(done).slice(0, 10)).toEqual([
      'job_id',
      'query_id',
      'dataset_id',
      'status',
      'progress',
      'results',
      'error',
      'created_at',
      'completed_at',
      'error_code',
    ]);
    expect(done).toEqual({
      job_id: res.body.job_id,
      query_id: seedQueryId,
      dataset_id: salesId,
      status: 'succeeded',
      progress: 100,
      results: {
        columns: ['region', 'total_revenue'],
        rows: [
          ['North', 48320.5],
          ['South', 31205],
        ],
        row_count: 2,
      },
      error: null,
      created_at: res.body.created_at,
      completed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      error_code: null,
      execution_mode: 'async',
      started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      attempts: 1,
      priority: 'interactive',
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      progress_measured: true,
    });
    expect(typeof done.results?.rows[0]?.[1]).toBe('number');
    expect(Date.parse(done.completed_at ?? '')).toBeGreaterThanOrEqual(Date.parse(done.created_at));
    expect(Date.parse(done.expires_at ?? '') - Date.parse(done.completed_at ?? '')).toBe(86_400_000);
  });

  it('goes queued -> running -> succeeded with progress that only rises, 100 exactly at the end', async () => {
    const res = await api.as().post(`/v1/query/${slowQueryId}`).send({ execution_mode: 'async' });
    expect(res.status).toBe(202);
    const seen: TJobStatus[] = [];
    await waitFor(
      'the slow job to end',
      async () => {
        const job = await getJob(res.body.job_id);
        seen.push(job);
        return job.status === 'succeeded' || job.status === 'failed';
      },
      120_000,
      100,
    );
    const statuses = seen.map((s) => s.status);
    const order = statuses.map((s) => JOB_STATUSES.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(statuses).toContain('running');
    expect(statuses.at(-1)).toBe('succeeded');
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(seen.filter((s) => s.status !== 'succeeded').every((s) => s.progress < 100)).toBe(true);
    expect(seen.some((s) => s.status === 'running' && s.progress > 0)).toBe(true);
    expect(seen.at(-1)?.progress).toBe(100);
    expect(seen.at(-1)?.results?.row_count).toBe(1);
  });

  it('fails a query error at once, with a sentence saying what to fix', async () => {
    const bad = await api.as().post('/v1/save').send({
      name: 'bad cast',
      query: 'SELECT CAST(region AS INTEGER) AS r FROM dataset',
      dataset_id: salesId,
    });
    expect(bad.status).toBe(201);
    const res = await api.as().post(`/v1/query/${bad.body.query_id}`).send({ execution_mode: 'async' });
    const failed = await untilTerminal(res.body.job_id);
    expect(failed).toMatchObject({
      status: 'failed',
      results: null,
      error_code: 'query_error',
      attempts: 1,
      completed_at: expect.stringMatching(/Z$/),
    });
    expect(failed.progress).toBeLessThan(100);
    expect(failed.error).toMatch(/North/);
    expect(failed.error).toMatch(/Fix the query or its parameters/);
  });

  it('fails with error_code timeout when timeout_ms passes', async () => {
    const res = await api
      .as()
      .post(`/v1/query/${slowQueryId}`)
      .send({ execution_mode: 'async', timeout_ms: 300 });
    const failed = await untilTerminal(res.body.job_id);
    expect(failed).toMatchObject({ status: 'failed', error_code: 'timeout', attempts: 1 });
    expect(failed.error).toMatch(/300 ms timeout/);
  });

  it('answers a sync run inline (200), and a failing one with 422 and the error', async () => {
    const ok = await api
      .as()
      .post(`/v1/query/${seedQueryId}`)
      .send({ parameters: { month: '2024-04' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      query_id: seedQueryId,
      dataset_id: salesId,
      execution_mode: 'sync',
      status: 'succeeded',
      results: {
        columns: ['region', 'total_revenue'],
        rows: [
          ['North', 99999.99],
          ['West', 12],
        ],
        row_count: 2,
      },
      job_id: null,
      created_at: expect.stringMatching(/Z$/),
    });

    const wrongType = await api.as().post(`/v1/query/${slowQueryId}`).send({ timeout_ms: 200 });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body).toMatchObject({
      status: 'failed',
      error_code: 'timeout',
      results: null,
      job_id: null,
    });
    expect(typeof wrongType.body.error).toBe('string');
  });

  it('falls back to 202 when a sync run outlasts SYNC_WAIT_MS, and the work is not lost', async () => {
    const replica = await createTestApi({ SYNC_WAIT_MS: '200' }, api);
    try {
      const res = await replica.as().post(`/v1/query/${slowQueryId}`).send({ execution_mode: 'sync' });
      expect(res.status).toBe(202);
      expect(['queued', 'running']).toContain(res.body.status);
      expect(res.body.job_id).toMatch(/^job_/);
      expect(res.headers.location).toBe(`/v1/jobs/${res.body.job_id}`);
      const done = await untilTerminal(res.body.job_id);
      expect(done.status).toBe('succeeded');
      expect(done.execution_mode).toBe('sync');
    } finally {
      await replica.close();
    }
  });

  it('checks parameters and the dataset before queueing anything', async () => {
    const missing = await api.as().post(`/v1/query/${seedQueryId}`).send({ execution_mode: 'async' });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toMatchObject({ code: 'missing_parameter', details: ['parameters.month'] });
    const extra = await api
      .as()
      .post(`/v1/query/${seedQueryId}`)
      .send({ parameters: { month: '2024-05', year: 2024 } });
    expect(extra.status).toBe(422);
    expect(extra.body.error.code).toBe('unexpected_parameter');
    const unbound = await api
      .as()
      .post('/v1/save')
      .send({ name: 'unbound', query: 'SELECT count(*) FROM dataset' });
    const noDataset = await api.as().post(`/v1/query/${unbound.body.query_id}`).send({});
    expect(noDataset.status).toBe(422);
    expect(noDataset.body.error.code).toBe('dataset_required');
    const foreignDataset = await api
      .as('globex')
      .post('/v1/save')
      .send({ name: 'g', query: 'SELECT count(*) FROM dataset' });
    const foreign = await api
      .as('globex')
      .post(`/v1/query/${foreignDataset.body.query_id}`)
      .send({ dataset_id: salesId });
    expect(foreign.status).toBe(404);
    const badMode = await api.as().post(`/v1/query/${seedQueryId}`).send({ execution_mode: 'later' });
    expect(badMode.status).toBe(400);
    expect(badMode.body.error.details).toEqual(['execution_mode']);
    const tooLong = await api
      .as()
      .post(`/v1/query/${seedQueryId}`)
      .send({ parameters: { month: 'x' }, timeout_ms: 999_999_999 });
    expect(tooLong.status).toBe(400);
    expect((await api.as().post('/v1/query/qry_unknown0000000000000000').send({})).status).toBe(404);
  });

  it("hides another tenant's job exactly like an unknown one", async () => {
    const res = await api
      .as()
      .post(`/v1/query/${seedQueryId}`)
      .send({ parameters: { month: '2024-05' }, execution_mode: 'async' });
    const foreign = await api.as('globex').get(`/v1/jobs/${res.body.job_id}`);
    const unknown = await api.as('globex').get('/v1/jobs/job_doesnotexist0000000000');
    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(foreign.body.error.code).toBe(unknown.body.error.code);
    expect((await api.as().get('/v1/jobs/not-a-job-id')).status).toBe(404);
    expect((await api.as().get(`/v1/jobs/${res.body.job_id}`).set('X-API-Key', '')).status).toBe(401);
  });

  it('answers 501 for async work when ASYNC_JOBS_ENABLED=false, as the seed did', async () => {
    const phase1 = await createTestApi({ ASYNC_JOBS_ENABLED: 'false' }, api);
    try {
      const run = await phase1
        .as()
        .post(`/v1/query/${seedQueryId}`)
        .send({ parameters: { month: '2024-05' }, execution_mode: 'async' });
      expect(run.status).toBe(501);
      expect(run.body.error.code).toBe('not_implemented');
      expect((await phase1.as().get('/v1/jobs/job_anything00000000000000')).status).toBe(501);
      const sync = await phase1
        .as()
        .post(`/v1/query/${seedQueryId}`)
        .send({ parameters: { month: '2024-05' } });
      expect(sync.status).toBe(200);
    } finally {
      await phase1.close();
    }
  });
});
