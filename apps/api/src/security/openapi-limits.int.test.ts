import supertest from 'supertest';
import { type TestApi, useTestApis } from '../testing/test-api';
import { expectError, saveSql, uploadCsv } from './security-fixtures';

/**
 * The limit answers the OpenAPI document declares are the ones the running app gives:
 * each real 429 carries exactly the limit headers the document names for it.
 */
const open = useTestApis();

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
};

/** The header names the app's own /openapi.json declares for one answer, lower-cased. */
async function documentedHeaders(api: TestApi, method: string, path: string, status: number) {
  const doc = (await supertest(api.app).get('/openapi.json').expect(200)).body as Doc;
  const response = doc.paths[path]?.[method]?.responses[String(status)];
  if (!response) throw new Error(`the document declares no ${status} for ${method} ${path}`);
  return Object.keys(response.headers ?? {})
    .map((name) => name.toLowerCase())
    .sort();
}

/** The limit headers an answer really carries. */
const limitHeaders = (res: supertest.Response) =>
  Object.keys(res.headers)
    .filter((name) => /^(retry-after|ratelimit)/.test(name))
    .sort();

describe('429 answers, as documented', () => {
  it('the request limiter: its 429 and its successful answers carry the documented headers', async () => {
    const api = await open({ RATE_LIMIT_PER_SECOND: '1' });
    const answers = await Promise.all([1, 2, 3].map(() => api.as().get('/v1/datasets')));
    const refused = answers.find((r) => r.status === 429);
    const served = answers.find((r) => r.status === 200);
    if (!refused || !served) throw new Error(`expected a 200 and a 429, got ${answers.map((r) => r.status)}`);
    expectError(refused, 429, 'rate_limited', api.dataDir);
    expect(limitHeaders(refused)).toEqual(await documentedHeaders(api, 'get', '/v1/datasets', 429));
    expect(limitHeaders(served)).toEqual(await documentedHeaders(api, 'get', '/v1/datasets', 200));
  });

  it('the failed-key limiter', async () => {
    const api = await open({ AUTH_FAILURES_PER_IP: '1' });
    const wrong = () =>
      supertest(api.app).post('/v1/jobs/job_x/cancel').set('X-API-Key', 'wrong-0123456789abc');
    expectError(await wrong(), 401, 'unauthorized', api.dataDir);
    const refused = await wrong();
    expectError(refused, 429, 'rate_limited', api.dataDir);
    expect(limitHeaders(refused)).toEqual(
      await documentedHeaders(api, 'post', '/v1/jobs/{job_id}/cancel', 429),
    );
    // Request limiting is off here, so a successful answer (a managed key passes from a
    // blocked address) carries none of the optional fields.
    const { key } = await api.deps.apiKeys.create('globex');
    const served = await supertest(api.app).get('/v1/datasets').set('X-API-Key', key).expect(200);
    expect(limitHeaders(served)).toEqual([]);
  });

  it('the tenant quotas, on the routes that name them', async () => {
    const api = await open({ MAX_ACTIVE_JOBS_PER_TENANT: '1', MAX_DATASET_BYTES_PER_TENANT: '1' });
    const queued = await open({ MAX_ACTIVE_JOBS_PER_TENANT: '1' });
    const dataset = await uploadCsv(queued);
    const queryId = await saveSql(queued, dataset.dataset_id);
    const run = () =>
      queued
        .as()
        .post(`/v1/query/${queryId}`)
        .send({ parameters: { month: '2024-05' }, execution_mode: 'async' });
    // No worker runs here, so the first job stays queued and takes the one place.
    await run().expect(202);
    const tooMany = await run();
    expectError(tooMany, 429, 'rate_limited', queued.dataDir);
    expect(limitHeaders(tooMany)).toEqual(
      await documentedHeaders(queued, 'post', '/v1/query/{query_id}', 429),
    );

    const tooBig = await api
      .as()
      .post('/v1/datasets?name=sales')
      .set('Content-Type', 'text/csv')
      .send('a\n1\n');
    expectError(tooBig, 429, 'rate_limited', api.dataDir);
    expect(limitHeaders(tooBig)).toEqual(await documentedHeaders(api, 'post', '/v1/datasets', 429));
  });
});
