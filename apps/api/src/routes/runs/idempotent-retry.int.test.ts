import { newId, ZRunQueryBody } from '@repo/contracts';
import { fingerprint } from '../../stores/idempotency-store';
import { createTestApi, type TestApi } from '../../testing/test-api';

const RESULT_TTL_SECONDS = 600;

/**
 * A client repeats a run (same Idempotency-Key, same body) whose first request reserved
 * the key and then died before adding the job — an API replica killed, Redis lost in
 * between. Whenever the repeat comes, the job is made then; only a reservation old enough
 * for its job to have run and been swept answers 404.
 */
describe('an Idempotency-Key whose first request died half-way', () => {
  let api: TestApi;
  let queryId: string;

  beforeAll(async () => {
    api = await createTestApi({ RESULT_TTL_SECONDS: String(RESULT_TTL_SECONDS) });
    const dataset = await api
      .as()
      .post('/v1/datasets?name=numbers')
      .set('Content-Type', 'text/csv')
      .send('x\n1\n2\n');
    queryId = (
      await api.as().post('/v1/save').send({
        name: 'count',
        query: 'SELECT count(*) AS n FROM dataset',
        dataset_id: dataset.body.dataset_id,
      })
    ).body.query_id;
  });

  afterAll(async () => {
    await api.close();
  });

  /** What the dead request left: the key reserved for a job id, and no job. */
  async function reservedBy(deadRequestAgeMs: number, key: string, body: Record<string, unknown>) {
    const jobId = newId('job');
    const parsed = ZRunQueryBody.parse(body);
    await api.deps.idempotency.reserve('acme', key, fingerprint({ query_id: queryId, ...parsed }), {
      jobId,
      createdMs: Date.now() - deadRequestAgeMs,
      fresh: true,
    });
    return jobId;
  }

  it('makes the job when the client repeats the request, even minutes later', async () => {
    const body = { execution_mode: 'async' };
    const jobId = await reservedBy(5 * 60_000, 'died-half-way', body);
    expect(await api.deps.queue.getJob(jobId)).toBeUndefined();

    const repeat = await api
      .as()
      .post(`/v1/query/${queryId}`)
      .set('Idempotency-Key', 'died-half-way')
      .send(body);
    expect(repeat.status).toBe(202);
    expect(repeat.body).toMatchObject({ job_id: jobId, status: 'queued' });
    expect((await api.deps.queue.getJob(jobId))?.data).toMatchObject({ tenant: 'acme', query_id: queryId });
    const listed = await api.as().get(`/v1/jobs?query_id=${queryId}`);
    expect(listed.body.data.map((job: { job_id: string }) => job.job_id)).toContain(jobId);

    // Once made, further repeats answer with the same job.
    const again = await api
      .as()
      .post(`/v1/query/${queryId}`)
      .set('Idempotency-Key', 'died-half-way')
      .send(body);
    expect(again.body.job_id).toBe(jobId);
  });

  it('answers 404 when the job could have run and been swept since', async () => {
    const body = { execution_mode: 'async' };
    const jobId = await reservedBy(RESULT_TTL_SECONDS * 1000 + 60_000, 'long-gone', body);
    const repeat = await api.as().post(`/v1/query/${queryId}`).set('Idempotency-Key', 'long-gone').send(body);
    expect(repeat.status).toBe(404);
    expect(repeat.body.error.message).toContain(jobId);
    expect(await api.deps.queue.getJob(jobId)).toBeUndefined();
  });
});
