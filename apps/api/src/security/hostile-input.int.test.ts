import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { startWorker, TEST_KEYS, type WorkerProcess } from '@repo/test-utils';
import supertest from 'supertest';
import { createTestApi, type TestApi } from '../testing/test-api';
import { expectError, saveSql, uploadCsv } from './security-fixtures';

/**
 * Hostile requests, each answered with its status and the error envelope, revealing nothing
 * of the server; afterwards the service answers normally and no stored data has changed.
 */
let api: TestApi;
let worker: WorkerProcess;
const ids = { dataset: '', query: '', job: '', globexDataset: '', globexQuery: '', globexJob: '' };
let revokedKey = '';
let wrongSecretKey = '';

const RUN_MAY = { parameters: { month: '2024-05' } };
const EXPECTED_MAY = {
  columns: ['region', 'total'],
  rows: [
    ['North', 48320.5],
    ['South', 31205],
  ],
  row_count: 2,
};

/** Every key under the prefix with its value, and every file in the data folder. */
async function snapshot(): Promise<Record<string, unknown>> {
  const { redis } = api.deps;
  const state: Record<string, unknown> = {};
  // Failed key checks are counted (AUTH_FAILURES_PER_IP): a counter, not stored data.
  const keys = (await redis.keys(`${api.prefix}*`))
    .filter((key) => !/stalled-check|:meta$|:authfail:/.test(key))
    .sort();
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === 'string') state[key] = await redis.get(key);
    else if (type === 'hash') state[key] = await redis.hgetall(key);
    else if (type === 'zset') state[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'list') state[key] = await redis.lrange(key, 0, -1);
    else if (type === 'set') state[key] = (await redis.smembers(key)).sort();
    else if (type === 'stream') state[key] = await redis.xlen(key);
  }
  const walk = async (dir: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(
      entries.map((e) =>
        e.isDirectory() ? walk(join(dir, e.name)) : [relative(api.dataDir, join(dir, e.name))],
      ),
    );
    return nested.flat();
  };
  state.files = (await walk(api.dataDir)).filter((f) => !f.startsWith('.duckdb-tmp')).sort();
  return state;
}

beforeAll(async () => {
  api = await createTestApi();
  worker = await startWorker(api.env);
  ids.dataset = (await uploadCsv(api)).dataset_id;
  ids.query = await saveSql(api, ids.dataset);
  ids.globexDataset = (await uploadCsv(api, 'globex')).dataset_id;
  ids.globexQuery = await saveSql(api, ids.globexDataset, undefined, 'globex');
  const run = (tenant: 'acme' | 'globex', query: string) =>
    api
      .as(tenant)
      .post(`/v1/query/${query}`)
      .send({ ...RUN_MAY, execution_mode: 'async' })
      .expect(202);
  ids.job = (await run('acme', ids.query)).body.job_id;
  ids.globexJob = (await run('globex', ids.globexQuery)).body.job_id;
  for (const job of [ids.job, ids.globexJob]) {
    const tenant = job === ids.job ? 'acme' : 'globex';
    await api.as(tenant).get(`/v1/jobs/${job}?wait=30`).expect(200);
  }
  const revoked = await api.deps.apiKeys.create('acme', 'revoked');
  await api.deps.apiKeys.revoke(revoked.info.id);
  revokedKey = revoked.key;
  const real = await api.deps.apiKeys.create('acme', 'real');
  wrongSecretKey = `ak_${real.info.id}_${'B'.repeat(43)}`;
});
afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

type Send = () => supertest.Test;
const raw = (method: 'post' | 'get' | 'delete', path: string): supertest.Test =>
  supertest(api.app)[method](path).set('X-API-Key', TEST_KEYS.acme);
const json = (path: string, body: string, type = 'application/json') =>
  raw('post', path).set('Content-Type', type).send(body);
const save = (body: unknown) =>
  api
    .as()
    .post('/v1/save')
    .send(body as object);
const runAcme = (body: unknown) =>
  api
    .as()
    .post(`/v1/query/${ids.query}`)
    .send(body as object);
const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

const CASES: Array<[string, Send, number, string]> = [
  // Keys: missing, wrong, revoked, duplicated.
  ['no X-API-Key', () => supertest(api.app).get('/v1/datasets'), 401, 'unauthorized'],
  [
    'an empty X-API-Key',
    () => supertest(api.app).get('/v1/datasets').set('X-API-Key', ''),
    401,
    'unauthorized',
  ],
  [
    'a wrong key',
    () => supertest(api.app).get('/v1/datasets').set('X-API-Key', 'acme-test-key-0123456780'),
    401,
    'unauthorized',
  ],
  [
    'a revoked managed key',
    () => supertest(api.app).get('/v1/datasets').set('X-API-Key', revokedKey),
    401,
    'unauthorized',
  ],
  [
    'a real key id with a wrong secret',
    () => supertest(api.app).get('/v1/datasets').set('X-API-Key', wrongSecretKey),
    401,
    'unauthorized',
  ],
  [
    'the same key twice',
    () =>
      supertest(api.app)
        .get('/v1/datasets')
        .set('X-API-Key', [TEST_KEYS.acme, TEST_KEYS.acme] as unknown as string),
    401,
    'unauthorized',
  ],
  [
    'two different keys',
    () =>
      supertest(api.app)
        .get('/v1/datasets')
        .set('X-API-Key', [TEST_KEYS.globex, TEST_KEYS.acme] as unknown as string),
    401,
    'unauthorized',
  ],
  [
    'a managed key whose id does not exist',
    () =>
      supertest(api.app)
        .get('/v1/datasets')
        .set('X-API-Key', `ak_0000000000000000_${'C'.repeat(43)}`),
    401,
    'unauthorized',
  ],
  [
    'a wrong key from a forged X-Forwarded-For',
    () =>
      supertest(api.app)
        .get('/v1/datasets')
        .set('X-API-Key', 'acme-test-key-0123456780')
        .set('X-Forwarded-For', '198.51.100.7'),
    401,
    'unauthorized',
  ],
  [
    'a key in the query string instead',
    () => supertest(api.app).get(`/v1/datasets?api_key=${TEST_KEYS.acme}`),
    401,
    'unauthorized',
  ],
  // Oversized, truncated, nested, wrongly typed bodies.
  [
    'a 600 kB saved query',
    () => save({ name: 'x', query: `SELECT '${'x'.repeat(600_000)}'` }),
    413,
    'payload_too_large',
  ],
  [
    'a 2 MB run body',
    () => runAcme({ parameters: { month: 'x'.repeat(2_000_000) } }),
    413,
    'payload_too_large',
  ],
  [
    'a truncated JSON body',
    () => json('/v1/save', '{"name": "x", "query": "SELEC'),
    400,
    'malformed_request',
  ],
  [
    'a body cut after a key',
    () => json(`/v1/query/${ids.query}`, '{"parameters":'),
    400,
    'malformed_request',
  ],
  [
    'JSON nested 10,000 deep',
    () => json(`/v1/query/${ids.query}`, `{"parameters":{"month":${nested(10_000)}}}`),
    400,
    'malformed_request',
  ],
  [
    'JSON nested 40 deep',
    () => json('/v1/save', `{"name":"x","query":${nested(40)}}`),
    400,
    'malformed_request',
  ],
  ['a JSON string as the body', () => json('/v1/save', '"SELECT 1"'), 400, 'malformed_request'],
  ['null as the body', () => json('/v1/save', 'null'), 400, 'malformed_request'],
  [
    'an array as the body',
    () => json('/v1/save', '[{"name":"x","query":"SELECT 1"}]'),
    400,
    'validation_failed',
  ],
  ['a number as the name', () => save({ name: 123, query: 'SELECT 1' }), 400, 'validation_failed'],
  ['parameters as an array', () => runAcme({ parameters: ['2024-05'] }), 400, 'validation_failed'],
  [
    'an object as a parameter value',
    () => runAcme({ parameters: { month: { $gt: '' } } }),
    400,
    'validation_failed',
  ],
  [
    'an unknown execution_mode',
    () => runAcme({ ...RUN_MAY, execution_mode: 'turbo' }),
    400,
    'validation_failed',
  ],
  // Duplicate and prototype keys.
  [
    'a duplicated key',
    () => json('/v1/save', '{"name":"a","name":"b","query":"SELECT 1"}'),
    400,
    'malformed_request',
  ],
  [
    'a duplicated parameter',
    () => json(`/v1/query/${ids.query}`, '{"parameters":{"month":"2024-05","month":"2024-04"}}'),
    400,
    'malformed_request',
  ],
  [
    'a __proto__ key',
    () => json(`/v1/query/${ids.query}`, '{"parameters":{},"__proto__":{"isAdmin":true}}'),
    400,
    'malformed_request',
  ],
  [
    'a __proto__ parameter',
    () => json(`/v1/query/${ids.query}`, '{"parameters":{"__proto__":{"isAdmin":true}}}'),
    400,
    'malformed_request',
  ],
  [
    'a constructor key',
    () => json('/v1/save', '{"name":"x","query":"SELECT 1","constructor":{"prototype":{"x":1}}}'),
    400,
    'validation_failed',
  ],
  [
    'a __proto__ key in a structured query',
    () => json('/v1/save', '{"name":"x","query":{"group_by":["region"],"__proto__":{"limit":1}}}'),
    400,
    'malformed_request',
  ],
  ['an unknown field', () => runAcme({ ...RUN_MAY, tenant: 'globex' }), 400, 'validation_failed'],
  // Content types.
  [
    'text/plain on /v1/save',
    () => json('/v1/save', '{"name":"x","query":"SELECT 1"}', 'text/plain'),
    415,
    'unsupported_media_type',
  ],
  [
    'XML on a run',
    () => json(`/v1/query/${ids.query}`, '<run/>', 'application/xml'),
    415,
    'unsupported_media_type',
  ],
  [
    'an upload of an unknown type',
    () => json('/v1/datasets?name=x', 'a,b\n1,2\n', 'application/octet-stream'),
    415,
    'unsupported_media_type',
  ],
  // Ids: traversal, NUL bytes, other tenants'.
  ['path traversal in a job id', () => raw('get', '/v1/jobs/..%2F..%2F..%2Fetc%2Fpasswd'), 404, 'not_found'],
  [
    'path traversal in a dataset id',
    () => raw('get', '/v1/datasets/dset_..%2F..%2Fdatasets%2Fx'),
    404,
    'not_found',
  ],
  [
    'a NUL byte in a dataset id',
    () => raw('delete', `/v1/datasets/${ids.dataset}%00.parquet`),
    404,
    'not_found',
  ],
  ['a Redis key separator in a job id', () => raw('get', `/v1/jobs/job_x:${ids.job}`), 404, 'not_found'],
  ['a glob in a query id', () => raw('get', '/v1/queries/qry_*'), 404, 'not_found'],
  ['a 10,000-character id', () => raw('get', `/v1/jobs/job_${'a'.repeat(10_000)}`), 404, 'not_found'],
  ['an id that does not percent-decode', () => raw('get', '/v1/jobs/%E0%A4%A'), 400, 'malformed_request'],
  ["another tenant's job", () => raw('get', `/v1/jobs/${ids.globexJob}`), 404, 'not_found'],
  ["another tenant's job results", () => raw('get', `/v1/jobs/${ids.globexJob}/results`), 404, 'not_found'],
  [
    "cancelling another tenant's job",
    () => raw('post', `/v1/jobs/${ids.globexJob}/cancel`),
    404,
    'not_found',
  ],
  [
    "deleting another tenant's dataset",
    () => raw('delete', `/v1/datasets/${ids.globexDataset}`),
    404,
    'not_found',
  ],
  [
    "deleting another tenant's query",
    () => raw('delete', `/v1/queries/${ids.globexQuery}`),
    404,
    'not_found',
  ],
  [
    "running another tenant's query",
    () => api.as().post(`/v1/query/${ids.globexQuery}`).send(RUN_MAY),
    404,
    'not_found',
  ],
  [
    "running over another tenant's dataset",
    () => runAcme({ ...RUN_MAY, dataset_id: ids.globexDataset }),
    404,
    'not_found',
  ],
  [
    "saving over another tenant's dataset",
    () => save({ name: 'x', query: 'SELECT 1', dataset_id: ids.globexDataset }),
    404,
    'not_found',
  ],
  // SQL injection in column names and parameter names.
  [
    'SQL in a structured column name',
    () =>
      save({ name: 'x', dataset_id: ids.dataset, query: { group_by: ['region"; DROP VIEW dataset; --'] } }),
    422,
    'invalid_query',
  ],
  [
    'SQL in a filter column',
    () =>
      save({
        name: 'x',
        dataset_id: ids.dataset,
        query: { filters: [{ column: "month' OR '1'='1", op: 'eq', value: 'x' }] },
      }),
    422,
    'invalid_query',
  ],
  [
    'SQL in an aggregate alias',
    () =>
      save({
        name: 'x',
        dataset_id: ids.dataset,
        query: { aggregates: [{ fn: 'count', as: 'n"); DROP VIEW dataset; --' }] },
      }),
    201,
    '',
  ],
  [
    'SQL in a parameter name',
    () => runAcme({ parameters: { 'month; DROP VIEW dataset': 'x' } }),
    400,
    'validation_failed',
  ],
  [
    'a stacked statement in SQL',
    () => save({ name: 'x', dataset_id: ids.dataset, query: 'SELECT * FROM dataset; DROP VIEW dataset' }),
    422,
    'invalid_query',
  ],
  // Huge limits and negative numbers.
  ['a list limit of 100,000', () => raw('get', '/v1/jobs?limit=100000'), 400, 'validation_failed'],
  ['a negative list limit', () => raw('get', '/v1/datasets?limit=-1'), 400, 'validation_failed'],
  [
    'a list limit that is not a number',
    () => raw('get', '/v1/queries?limit=1e400'),
    400,
    'validation_failed',
  ],
  [
    'a results limit of a billion',
    () => raw('get', `/v1/jobs/${ids.job}/results?limit=1000000000`),
    400,
    'validation_failed',
  ],
  [
    'a forged cursor',
    () => raw('get', '/v1/datasets?cursor=Li4vLi4vZXRjL3Bhc3N3ZA'),
    400,
    'validation_failed',
  ],
  ['a negative timeout', () => runAcme({ ...RUN_MAY, timeout_ms: -5 }), 400, 'validation_failed'],
  ['a timeout of 10^12 ms', () => runAcme({ ...RUN_MAY, timeout_ms: 1e12 }), 400, 'validation_failed'],
  ['a fractional timeout', () => runAcme({ ...RUN_MAY, timeout_ms: 0.5 }), 400, 'validation_failed'],
  [
    'a structured limit of 10^12',
    () => save({ name: 'x', query: { group_by: ['region'], limit: 1e12 } }),
    400,
    'validation_failed',
  ],
  [
    'a negative quantile',
    () => save({ name: 'x', query: { aggregates: [{ fn: 'quantile', column: 'revenue', q: -1 }] } }),
    400,
    'validation_failed',
  ],
  [
    'a 300-character Idempotency-Key',
    () => runAcme(RUN_MAY).set('Idempotency-Key', 'k'.repeat(300)),
    400,
    'validation_failed',
  ],
  [
    'a dataset name of 10,000 characters',
    () => json(`/v1/datasets?name=${'n'.repeat(10_000)}`, 'a\n1\n', 'text/csv'),
    400,
    'validation_failed',
  ],
];

describe('hostile input', () => {
  let before: Record<string, unknown>;
  beforeAll(async () => {
    before = await snapshot();
  });

  it('holds at least 40 requests', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES.map(([what, send, status, code]) => ({ what, send, status, code })))(
    '$what → $status $code',
    async ({ send, status, code }) => {
      const res = await send();
      if (status < 400) {
        // Accepted, but only as data: the identifier is quoted, never executed.
        expect(res.status).toBe(status);
        const id = res.body.query_id as string;
        await api.as().delete(`/v1/queries/${id}`).expect(204);
        return;
      }
      expectError(res, status, code, api.dataDir);
    },
  );

  it('counted every failed key check against the one client address, whatever X-Forwarded-For said', async () => {
    const counters = await api.deps.redis.keys(`${api.prefix}:authfail:*`);
    expect(counters).toHaveLength(1);
    const failed = CASES.filter(([, , status]) => status === 401).length;
    expect(Number(await api.deps.redis.get(counters[0] ?? ''))).toBe(failed);
    expect(failed).toBeLessThan(api.config.AUTH_FAILURES_PER_IP);
  });

  it('leaves every stored record and file as it was, and no prototype polluted', async () => {
    expect(await snapshot()).toEqual(before);
    const probe: Record<string, unknown> = {};
    expect([probe.isAdmin, probe.x, probe.limit]).toEqual([undefined, undefined, undefined]);
    expect(Object.prototype).toEqual({});
  });

  it('still answers normally afterwards, for both tenants', async () => {
    const run = await runAcme(RUN_MAY).expect(200);
    expect(run.body.results).toEqual(EXPECTED_MAY);
    const list = await api.as().get('/v1/datasets').expect(200);
    expect(list.body.data.map((d: { dataset_id: string }) => d.dataset_id)).toEqual([ids.dataset]);
    await api.as('globex').get(`/v1/datasets/${ids.globexDataset}`).expect(200);
    await api.as('globex').get(`/v1/jobs/${ids.globexJob}`).expect(200);
  });

  it('binds parameter values: SQL in a value matches nothing and changes nothing', async () => {
    for (const month of ["2024-05' OR '1'='1", "'; DROP VIEW dataset; --", '2024-05\u0000']) {
      const res = await runAcme({ parameters: { month } }).expect(200);
      expect(res.body.results).toMatchObject({ rows: [], row_count: 0 });
    }
    const after = await runAcme(RUN_MAY).expect(200);
    expect(after.body.results).toEqual(EXPECTED_MAY);
  });
});
