import { jobKey } from '@repo/queue';
import { startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { createTestApi, type TestApi } from '../../testing/test-api';

/**
 * GET /v1/jobs/{id} answers an ended job from the replica's own copy: same body and headers,
 * only for the job's tenant, and never past expires_at (no sweep runs here to hide that).
 */
describe('status reads of ended jobs from the in-process copy', () => {
  let api: TestApi;
  let worker: WorkerProcess;
  let queryId: string;

  beforeAll(async () => {
    api = await createTestApi({ RESULT_TTL_SECONDS: '3', RETENTION_SWEEP_INTERVAL_MS: '3600000' });
    worker = await startWorker(api.env);
    const csv = 'region,revenue\nNorth,1.5\nSouth,2\n';
    const dataset = await api.as().post('/v1/datasets?name=s').set('Content-Type', 'text/csv').send(csv);
    const saved = await api.as().post('/v1/save').send({
      name: 'by region',
      query: 'SELECT region, SUM(revenue) AS revenue FROM dataset GROUP BY region ORDER BY region',
      dataset_id: dataset.body.dataset_id,
    });
    queryId = saved.body.query_id;
  });

  afterAll(async () => {
    await worker?.stop();
    await api.close();
  });

  async function runToEnd(): Promise<string> {
    const run = await api.as().post(`/v1/query/${queryId}`).send({ execution_mode: 'async' });
    expect(run.status).toBe(202);
    const id: string = run.body.job_id;
    await waitFor(`job ${id} to succeed`, async () => {
      const res = await api.as().get(`/v1/jobs/${id}`);
      return res.body.status === 'succeeded';
    });
    return id;
  }

  it('answers repeat reads from the copy, with the same body and headers, to the owner only', async () => {
    const id = await runToEnd();
    const first = await api.as().get(`/v1/jobs/${id}`);
    expect(first.status).toBe(200);
    expect(first.body.results.rows).toEqual([
      ['North', 1.5],
      ['South', 2],
    ]);
    // Remove the job behind the API's back: only the copy can still answer.
    await api.deps.redis.del(jobKey(api.prefix, id));
    const again = await api.as().get(`/v1/jobs/${id}`).set('X-Request-Id', 'req-123');
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(again.headers['content-length']).toBe(String(Buffer.byteLength(first.text)));
    expect(again.headers['cache-control']).toBe('no-store');
    expect(again.headers['x-request-id']).toBe('req-123');
    // Another tenant never sees it, copy or not.
    const foreign = await api.as('globex').get(`/v1/jobs/${id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
  });

  it('stops answering at expires_at, although the job is still in Redis and in the copy', async () => {
    const id = await runToEnd();
    const read = await api.as().get(`/v1/jobs/${id}`);
    const expiresAt = Date.parse(read.body.expires_at);
    expect(expiresAt).toBeGreaterThan(Date.now() - 1_000);
    await waitFor(
      `job ${id} to answer 404`,
      async () => (await api.as().get(`/v1/jobs/${id}`)).status === 404,
      10_000,
      20,
    );
    // Answered 404 no later than the first poll after expires_at.
    expect(Date.now()).toBeLessThan(expiresAt + 1_000);
    expect(await api.deps.redis.exists(jobKey(api.prefix, id))).toBe(1);
  });

  it('reads a job that has not ended from Redis every time', async () => {
    const run = await api.as().post(`/v1/query/${queryId}`).send({ execution_mode: 'async' });
    const id: string = run.body.job_id;
    // Whatever its state at this first read, a job read before it ended is read again later.
    await api.as().get(`/v1/jobs/${id}`);
    await waitFor(
      `job ${id} to succeed`,
      async () => (await api.as().get(`/v1/jobs/${id}`)).body.status === 'succeeded',
    );
  });
});

/** An operator's hand on the dashboard: BullMQ's own retry and remove, seen by every replica. */
describe('the copy of an ended job retried or removed by hand', () => {
  let api: TestApi;
  let worker: WorkerProcess;
  let datasetId: string;

  beforeAll(async () => {
    api = await createTestApi();
    worker = await startWorker(api.env);
    const dataset = await api
      .as()
      .post('/v1/datasets?name=s')
      .set('Content-Type', 'text/csv')
      .send('region\nNorth\n');
    datasetId = dataset.body.dataset_id;
  });

  afterAll(async () => {
    await worker?.stop();
    await api.close();
  });

  async function endedJob(query: string): Promise<{ id: string; body: Record<string, unknown> }> {
    const saved = await api.as().post('/v1/save').send({ name: 'q', query, dataset_id: datasetId });
    const run = await api.as().post(`/v1/query/${saved.body.query_id}`).send({ execution_mode: 'async' });
    const id: string = run.body.job_id;
    const body = await waitFor(`job ${id} to end`, async () => {
      const res = await api.as().get(`/v1/jobs/${id}`);
      return ['succeeded', 'failed'].includes(res.body.status) ? res.body : null;
    });
    // Read again: now from the copy.
    expect((await api.as().get(`/v1/jobs/${id}`)).body).toEqual(body);
    return { id, body };
  }

  it('shows a retried job as it runs again, not its old end', async () => {
    const { id, body } = await endedJob('SELECT CAST(region AS INTEGER) AS n FROM dataset');
    expect(body).toMatchObject({ status: 'failed', attempts: 1 });
    await (await api.deps.queue.getJob(id))?.retry('failed');
    // The second attempt fails too; its attempts count tells it from the first.
    await waitFor(
      'the second attempt to show',
      async () => (await api.as().get(`/v1/jobs/${id}`)).body.attempts === 2,
      10_000,
    );
  });

  it('answers 404 for a removed job instead of its old end', async () => {
    const { id } = await endedJob('SELECT count(*) AS n FROM dataset');
    await (await api.deps.queue.getJob(id))?.remove();
    await waitFor(
      'the copy to go',
      async () => (await api.as().get(`/v1/jobs/${id}`)).status === 404,
      10_000,
    );
  });
});
