import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TBatchStatus } from '@repo/contracts';
import { startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { createTestApi, type TestApi } from '../../testing/test-api';

describe('batches', () => {
  let api: TestApi;
  let worker: WorkerProcess;
  let receiver: Server;
  let hookUrl: string;
  const hooks: Record<string, unknown>[] = [];
  let sumId: string;
  let castId: string;

  beforeAll(async () => {
    api = await createTestApi({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WORKER_CONCURRENCY: '4' });
    worker = await startWorker(api.env);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        hooks.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/batch`;
    const csv = ['g,v', ...Array.from({ length: 1000 }, (_, i) => `${i % 7},${i}`)].join('\n');
    const dataset = (await api.as().post('/v1/datasets?name=d').set('Content-Type', 'text/csv').send(csv))
      .body;
    sumId = (
      await api.as().post('/v1/save').send({
        name: 'sum',
        query: 'SELECT sum(v) AS s FROM dataset WHERE g = $g',
        dataset_id: dataset.dataset_id,
      })
    ).body.query_id;
    castId = (
      await api.as().post('/v1/save').send({
        name: 'cast',
        query: "SELECT CAST('x' || g AS INTEGER) AS n FROM dataset",
        dataset_id: dataset.dataset_id,
      })
    ).body.query_id;
  });

  afterAll(async () => {
    await worker.stop();
    receiver.close();
    await api.close();
  });

  const getBatch = async (id: string) => (await api.as().get(`/v1/batches/${id}`)).body as TBatchStatus;

  it('runs 50 jobs to succeeded, progress rising to 100, and sends the batch webhook once', async () => {
    const jobs = Array.from({ length: 50 }, (_, i) => ({ query_id: sumId, parameters: { g: i % 7 } }));
    const res = await api.as().post('/v1/batches').send({ jobs, callback_url: hookUrl });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ batch_id: expect.stringMatching(/^bat_/), status: 'queued' });
    expect(res.body.job_ids).toHaveLength(50);
    expect(res.headers.location).toBe(`/v1/batches/${res.body.batch_id}`);
    const seen: number[] = [];
    const done = await waitFor(
      'the batch to end',
      async () => {
        const batch = await getBatch(res.body.batch_id);
        seen.push(batch.progress);
        return batch.status === 'succeeded' || batch.status === 'failed' ? batch : null;
      },
      120_000,
      100,
    );
    expect(done.status).toBe('succeeded');
    expect(done.progress).toBe(100);
    expect(done.completed_at).toMatch(/Z$/);
    expect(done.jobs.every((j) => j.status === 'succeeded' && j.progress === 100)).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.slice(0, -1).every((p) => p < 100)).toBe(true);
    // Each job is a job like any other.
    const first = (await api.as().get(`/v1/jobs/${res.body.job_ids[0]}`)).body;
    expect(first.results.rows).toEqual([
      [
        Array.from({ length: 1000 }, (_, i) => i)
          .filter((i) => i % 7 === 0)
          .reduce((a, b) => a + b, 0),
      ],
    ]);
    await waitFor('the batch webhook', async () => hooks.some((h) => h.batch_id === res.body.batch_id));
    await new Promise((r) => setTimeout(r, 500));
    const delivered = hooks.filter((h) => h.batch_id === res.body.batch_id);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ status: 'succeeded', progress: 100 });
  });

  it('ends failed when one query fails, the others succeeding', async () => {
    const jobs = [
      { query_id: sumId, parameters: { g: 1 } },
      { query_id: castId },
      { query_id: sumId, parameters: { g: 2 } },
    ];
    const res = await api.as().post('/v1/batches').send({ jobs });
    const done = await waitFor('the batch to end', async () => {
      const batch = await getBatch(res.body.batch_id);
      return batch.status === 'succeeded' || batch.status === 'failed' ? batch : null;
    });
    expect(done.status).toBe('failed');
    expect(done.jobs.map((j) => j.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect((await api.as().get(`/v1/jobs/${res.body.job_ids[1]}`)).body.error_code).toBe('query_error');
  });

  it('accepts 1,000 queries in one request, all or nothing, and cancels a batch', async () => {
    const before = (await api.as().get('/v1/jobs?limit=100')).body.data.length;
    const bad = await api
      .as()
      .post('/v1/batches')
      .send({
        jobs: [
          { query_id: sumId, parameters: { g: 1 } },
          { query_id: sumId, parameters: {} },
        ],
      });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 'missing_parameter', details: ['jobs.1.parameters.g'] });
    expect((await api.as().get('/v1/jobs?limit=100')).body.data.length).toBe(before);

    const jobs = Array.from({ length: 1000 }, (_, i) => ({ query_id: sumId, parameters: { g: i % 7 } }));
    const res = await api.as().post('/v1/batches').set('Idempotency-Key', 'thousand').send({ jobs });
    expect(res.status).toBe(202);
    expect(res.body.job_ids).toHaveLength(1000);
    const again = await api.as().post('/v1/batches').set('Idempotency-Key', 'thousand').send({ jobs });
    expect(again.body.batch_id).toBe(res.body.batch_id);
    expect(new Set(again.body.job_ids)).toEqual(new Set(res.body.job_ids));

    const cancelled = await api.as().post(`/v1/batches/${res.body.batch_id}/cancel`);
    expect(cancelled.status).toBe(200);
    const done = await waitFor('every job to end', async () => {
      const batch = await getBatch(res.body.batch_id);
      return batch.status === 'failed' || batch.status === 'succeeded' ? batch : null;
    });
    expect(done.status).toBe('failed');
    expect(done.jobs).toHaveLength(1000);
    expect(done.jobs.filter((j) => j.status === 'failed').length).toBeGreaterThan(0);
    expect((await api.as().post(`/v1/batches/${res.body.batch_id}/cancel`)).status).toBe(409);
    expect((await api.as('globex').get(`/v1/batches/${res.body.batch_id}`)).status).toBe(404);
  });
});
