import { rm } from 'node:fs/promises';
import {
  freePort,
  makeTestEnv,
  numbersCsv,
  type ServiceProcess,
  SLOW_SQL,
  startService,
  TEST_KEYS,
  waitFor,
} from '@repo/test-utils';

/**
 * The whole product as it is deployed: two API processes and two worker processes (each
 * its own main.ts) on one Redis and one data folder. A client may reach either API.
 */
describe('two API processes and two workers on one Redis', () => {
  const testEnv = makeTestEnv({ RESULTS_INLINE_MAX_ROWS: '100' });
  const processes: ServiceProcess[] = [];
  const urls: string[] = [];

  async function call(
    replica: number,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(`${urls[replica]}${path}`, {
      method,
      headers: {
        'X-API-Key': TEST_KEYS.acme,
        ...(typeof body === 'string'
          ? { 'Content-Type': 'text/csv' }
          : body
            ? { 'Content-Type': 'application/json' }
            : {}),
        ...headers,
      },
      body: typeof body === 'string' ? body : body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      json: text.startsWith('{') ? JSON.parse(text) : null,
    };
  }

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    const started = await Promise.all([
      ...ports.map((port) => startService('api', { ...testEnv.env, PORT: String(port) })),
      startService('worker', testEnv.env),
      startService('worker', testEnv.env),
    ]);
    processes.push(...started);
    urls.push(...ports.map((port) => `http://127.0.0.1:${port}`));
  });

  afterAll(async () => {
    const codes = await Promise.all(processes.map((p) => p.stop('SIGTERM')));
    expect(codes).toEqual([0, 0, 0, 0]);
    await rm(testEnv.dataDir, { recursive: true, force: true });
  });

  it('serves one flow across both replicas: upload, save, run, cancel, idempotency, list, results', async () => {
    expect((await call(0, 'GET', '/healthz')).status).toBe(200);
    expect((await call(1, 'GET', '/readyz')).json).toEqual({
      status: 'ready',
      redis: 'ok',
      maxmemory_policy: 'noeviction',
    });

    // 60,000 rows: the cross join runs far longer than the cancel needs, so the cancel never races its end.
    const csv = numbersCsv(60_000);
    const dataset = await call(0, 'POST', '/v1/datasets?name=numbers', csv);
    expect(dataset.status).toBe(201);
    const slow = await call(1, 'POST', '/v1/save', {
      name: 'slow',
      query: SLOW_SQL,
      dataset_id: dataset.json.dataset_id,
    });
    const all = await call(0, 'POST', '/v1/queries', {
      name: 'all',
      query: 'SELECT x FROM dataset WHERE x < $n ORDER BY x',
      dataset_id: dataset.json.dataset_id,
    });

    // Submitted through one replica, cancelled through the other while a worker runs it.
    const running = await call(0, 'POST', `/v1/query/${slow.json.query_id}`, { execution_mode: 'async' });
    expect(running.status).toBe(202);
    await waitFor('the slow job to run', async () => {
      const job = await call(1, 'GET', `/v1/jobs/${running.json.job_id}`);
      return job.json.status === 'running';
    });
    const cancelled = await call(1, 'POST', `/v1/jobs/${running.json.job_id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ status: 'failed', error_code: 'cancelled' });

    // Racing idempotent requests through both replicas make one job.
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(
          i % 2,
          'POST',
          `/v1/query/${all.json.query_id}`,
          { execution_mode: 'async', parameters: { n: 250 } },
          {
            'Idempotency-Key': 'both-replicas',
          },
        ),
      ),
    );
    const jobIds = new Set(answers.map((a) => a.json.job_id));
    expect(jobIds.size).toBe(1);
    const [jobId] = [...jobIds];
    const done = await waitFor('the idempotent job', async () => {
      const job = await call(0, 'GET', `/v1/jobs/${jobId}`);
      return job.json.status === 'succeeded' ? job.json : null;
    });
    expect(done.results).toMatchObject({ row_count: 250, truncated: true });

    const csvResult = await call(1, 'GET', `/v1/jobs/${jobId}/results?format=csv`);
    expect(csvResult.text.split('\r\n').filter(Boolean)).toEqual([
      'x',
      ...Array.from({ length: 250 }, (_, i) => String(i)),
    ]);
    const listed = await call(1, 'GET', `/v1/jobs?query_id=${all.json.query_id}`);
    expect(listed.json.data.map((j: { job_id: string }) => j.job_id)).toEqual([jobId]);
  });
});
