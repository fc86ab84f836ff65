import { SALES_CSV } from '@repo/test-utils';
import { type TestApi, useTestApis } from '../testing/test-api';
import { expectError, saveSql, uploadCsv } from './security-fixtures';

const open = useTestApis();

const RUN = { parameters: { month: '2024-05' }, execution_mode: 'async' };

describe('MAX_ACTIVE_JOBS_PER_TENANT', () => {
  // No worker runs here: every job stays queued until it is cancelled.
  let api: TestApi;
  let other: TestApi;
  let queryId: string;
  let globexQueryId: string;
  beforeAll(async () => {
    api = await open({ MAX_ACTIVE_JOBS_PER_TENANT: '2', SYNC_WAIT_MS: '0' });
    other = await open({ MAX_ACTIVE_JOBS_PER_TENANT: '2', SYNC_WAIT_MS: '0' }, api);
    queryId = await saveSql(api, (await uploadCsv(api)).dataset_id);
    globexQueryId = await saveSql(api, (await uploadCsv(api, 'globex')).dataset_id, undefined, 'globex');
  });

  it('admits that many queued or running jobs per tenant, across replicas, then answers 429', async () => {
    const first = await api.as().post(`/v1/query/${queryId}`).send(RUN).expect(202);
    // A sync run is a job too (it answers 202 at once here: SYNC_WAIT_MS=0).
    await other
      .as()
      .post(`/v1/query/${queryId}`)
      .send({ parameters: { month: '2024-05' } })
      .expect(202);
    const refused = await other
      .as()
      .post(`/v1/query/${queryId}`)
      .set('Idempotency-Key', 'retry-me')
      .send(RUN);
    expectError(refused, 429, 'rate_limited', api.dataDir);
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.headers['ratelimit-policy']).toBe('"active-jobs";q=2;qu="concurrent-requests"');
    expect(refused.headers.ratelimit).toBe('"active-jobs";r=0');
    expect(refused.body.error.message).toMatch(
      /2 jobs queued or running; MAX_ACTIVE_JOBS_PER_TENANT allows 2/,
    );

    // Other tenants have their own count.
    await api.as('globex').post(`/v1/query/${globexQueryId}`).send(RUN).expect(202);

    // A job that ends gives its place back; the refused Idempotency-Key was not spent.
    await api.as().post(`/v1/jobs/${first.body.job_id}/cancel`).expect(200);
    const retried = await other
      .as()
      .post(`/v1/query/${queryId}`)
      .set('Idempotency-Key', 'retry-me')
      .send(RUN)
      .expect(202);
    expect(retried.body.job_id).not.toBe(first.body.job_id);
    const again = await api.as().post(`/v1/query/${queryId}`).set('Idempotency-Key', 'retry-me').send(RUN);
    expect(again.status).toBe(202);
    expect(again.body.job_id).toBe(retried.body.job_id);
    expectError(await api.as().post(`/v1/query/${queryId}`).send(RUN), 429, 'rate_limited', api.dataDir);
  });

  it('counts the jobs of a batch, all or none', async () => {
    const batch = (n: number) => ({
      jobs: Array.from({ length: n }, () => ({ query_id: globexQueryId, parameters: { month: '2024-05' } })),
    });
    // globex has one job queued (from the test above): a batch of two does not fit, one does.
    const refused = await api.as('globex').post('/v1/batches').set('Idempotency-Key', 'b1').send(batch(2));
    expectError(refused, 429, 'rate_limited', api.dataDir);
    expect(refused.body.error.message).toMatch(/\(2 more were asked for\)/);
    await api.as('globex').post('/v1/batches').set('Idempotency-Key', 'b1').send(batch(1)).expect(202);
    expectError(await api.as('globex').post('/v1/batches').send(batch(1)), 429, 'rate_limited', api.dataDir);
  });

  it('admits a group of jobs (a batch) all together or not at all', async () => {
    const quotas = api.deps.quotas;
    await quotas.admitJobs('initech', ['job_a', 'job_b']);
    await expect(quotas.admitJobs('initech', ['job_c'])).rejects.toMatchObject({ code: 'rate_limited' });
    await quotas.releaseJobs('initech', ['job_a']);
    await expect(quotas.admitJobs('initech', ['job_c', 'job_d'])).rejects.toMatchObject({
      message: expect.stringMatching(/1 jobs queued or running \(2 more were asked for\)/),
    });
    await quotas.admitJobs('initech', ['job_c']);
    // Admitted jobs that never reach Redis keep their place for a minute, then lose it.
    const members = await api.deps.redis.zrange(`${api.prefix}:tenant:initech:active-jobs`, 0, -1);
    expect(members.sort()).toEqual(['job_b', 'job_c']);
  });
});

describe('MAX_DATASET_BYTES_PER_TENANT', () => {
  it('counts Parquet bytes per tenant (from existing datasets at first) and refuses what does not fit', async () => {
    const unlimited = await open({});
    const first = await uploadCsv(unlimited);
    const size = first.size_bytes;
    const api = await open({ MAX_DATASET_BYTES_PER_TENANT: String(2 * size) }, unlimited);

    // The first dataset, stored before the quota, counts: one more fits, then the tenant is full.
    const second = await uploadCsv(api);
    expect(second.size_bytes).toBe(size);
    const full = await api
      .as()
      .post('/v1/datasets?name=sales')
      .set('Content-Type', 'text/csv')
      .send(SALES_CSV);
    expectError(full, 429, 'rate_limited', api.dataDir);
    expect(full.headers['retry-after']).toBe('60');
    expect(full.headers['ratelimit-policy']).toBe(`"dataset-bytes";q=${2 * size};qu="content-bytes"`);
    expect(full.headers.ratelimit).toBe('"dataset-bytes";r=0');
    // Another tenant is not affected.
    await uploadCsv(api, 'globex');

    // Deleting frees room; a dataset larger than what is left is refused once its size is known.
    await api.as().delete(`/v1/datasets/${first.dataset_id}`).expect(204);
    const rows = Array.from({ length: 2_000 }, (_, i) => `Region${i},${i}.5,2024-${(i % 12) + 1}`);
    const large = await api
      .as()
      .post('/v1/datasets?name=large')
      .set('Content-Type', 'text/csv')
      .send(`region,revenue,month\n${rows.join('\n')}\n`);
    expectError(large, 429, 'rate_limited', api.dataDir);
    expect(large.body.error.message).toMatch(
      /would take this tenant's datasets and kept results to \d+ bytes/,
    );
    expect(large.headers.ratelimit).toBe(`"dataset-bytes";r=${size}`);
    const listed = await api.as().get('/v1/datasets').expect(200);
    expect(listed.body.data.map((d: { dataset_id: string }) => d.dataset_id)).toEqual([second.dataset_id]);
    const left = await api.deps.redis.get(`${api.prefix}:tenant:acme:dataset-bytes`);
    expect(Number(left)).toBe(size);
    // ...and the same data again fits in the room the delete made.
    await uploadCsv(api);
  });
});
