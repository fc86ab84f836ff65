import type { TJobStatus } from '@repo/contracts';
import { startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { parse } from 'csv-parse/sync';
import { createTestApi, type TestApi } from '../../testing/test-api';

const ROWS = 50_000;

/** Generated rows with the awkward bits of CSV: commas, quotes, newlines, unicode, NULLs. */
function generated(): [number, string, number | null][] {
  return Array.from({ length: ROWS }, (_, i) => [
    i,
    i % 7 === 0 ? `näme, "${i}"\nline` : `n${i}`,
    i % 11 === 0 ? null : i * 0.5,
  ]);
}

const csvField = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

describe('large results: paged, streamed, bounded', () => {
  let api: TestApi;
  let replica: TestApi;
  let workers: WorkerProcess[];
  const rows = generated();
  let jobId: string;
  let done: TJobStatus;

  beforeAll(async () => {
    api = await createTestApi({ RESULTS_INLINE_MAX_ROWS: '1000', RESULT_MAX_ROWS: '60000' });
    replica = await createTestApi({}, api);
    workers = await Promise.all([startWorker(api.env), startWorker(api.env)]);
    const csv = [
      'id,label,score',
      ...rows.map(([id, label, score]) => `${id},${csvField(label)},${score ?? ''}`),
    ];
    const dataset = await api
      .as()
      .post('/v1/datasets?name=big')
      .set('Content-Type', 'text/csv')
      .send(csv.join('\n'));
    expect(dataset.body.row_count).toBe(ROWS);
    const query = await api
      .as()
      .post('/v1/save')
      .send({ name: 'all', query: 'SELECT * FROM dataset ORDER BY id', dataset_id: dataset.body.dataset_id });
    jobId = (await api.as().post(`/v1/query/${query.body.query_id}`).send({ execution_mode: 'async' })).body
      .job_id;
    done = await waitFor('the big job', async () => {
      const job = (await api.as().get(`/v1/jobs/${jobId}`)).body as TJobStatus;
      return job.status === 'succeeded' || job.status === 'failed' ? job : null;
    });
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await replica.close();
    await api.close();
  });

  it('keeps the first page inline with truncated and next, the rest in a file, not in Redis', async () => {
    expect(done.status).toBe('succeeded');
    expect(done.results?.row_count).toBe(ROWS);
    expect(done.results?.rows).toHaveLength(1000);
    expect(done.results?.rows).toEqual(rows.slice(0, 1000));
    expect(done.results?.truncated).toBe(true);
    expect(done.results?.next).toMatch(new RegExp(`^/v1/jobs/${jobId}/results\\?cursor=`));
    const stored = await api.deps.redis.hget(`${api.prefix}:analytics-queries:${jobId}`, 'returnvalue');
    expect(stored?.length ?? 0).toBeLessThan(200_000);
  });

  it('pages to the end through either replica, matching the generated rows', async () => {
    const paged: unknown[][] = [];
    let next: string | null | undefined = done.results?.next?.split('cursor=')[1];
    paged.push(...(done.results?.rows ?? []));
    let turn = 0;
    while (next) {
      const via = turn++ % 2 ? api : replica;
      const page = await via.as().get(`/v1/jobs/${jobId}/results?cursor=${next}&limit=7000`);
      expect(page.status).toBe(200);
      expect(page.body.columns).toEqual(['id', 'label', 'score']);
      expect(page.body.row_count).toBe(ROWS);
      paged.push(...page.body.rows);
      next = page.body.next_cursor;
    }
    expect(paged).toEqual(rows);
    const first = await api.as().get(`/v1/jobs/${jobId}/results?limit=2`);
    expect(first.body.rows).toEqual(rows.slice(0, 2));
    expect((await api.as().get(`/v1/jobs/${jobId}/results?cursor=bogus`)).status).toBe(400);
    expect((await api.as('globex').get(`/v1/jobs/${jobId}/results`)).status).toBe(404);
  });

  it('streams the whole result as RFC 4180 CSV and as NDJSON, by Accept or format=', async () => {
    const csv = await api.as().get(`/v1/jobs/${jobId}/results`).set('Accept', 'text/csv').buffer(true);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const records = parse(csv.text, { relax_column_count: false }) as string[][];
    expect(records[0]).toEqual(['id', 'label', 'score']);
    expect(records).toHaveLength(ROWS + 1);
    expect(
      records.slice(1).map(([id, label, score]) => [Number(id), label, score === '' ? null : Number(score)]),
    ).toEqual(rows);
    expect(csv.text).toContain('"näme, ""7""\nline"');

    const ndjson = await replica.as().get(`/v1/jobs/${jobId}/results?format=ndjson`).buffer(true);
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = ndjson.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(ROWS);
    expect(lines.map((o) => [o.id, o.label, o.score])).toEqual(rows);
  });

  it('fails a result above RESULT_MAX_ROWS with a clear error, writing nothing', async () => {
    const dataset = done.dataset_id;
    const query = await api.as().post('/v1/save').send({
      name: 'too big',
      query: 'SELECT a.id FROM dataset a, dataset b WHERE b.id < 2',
      dataset_id: dataset,
    });
    const res = await api.as().post(`/v1/query/${query.body.query_id}`).send({});
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ status: 'failed', error_code: 'query_error' });
    expect(res.body.error).toMatch(/more than 60000 rows, the most this server keeps/);
  });

  it('serves small results from the job itself, in every format', async () => {
    const query = await api.as().post('/v1/save').send({
      name: 'few',
      query: 'SELECT id, label FROM dataset WHERE id < 3 ORDER BY id',
      dataset_id: done.dataset_id,
    });
    const run = await api.as().post(`/v1/query/${query.body.query_id}`).send({ execution_mode: 'async' });
    await waitFor(
      'the small job',
      async () => (await api.as().get(`/v1/jobs/${run.body.job_id}`)).body.status === 'succeeded',
    );
    const page = await api.as().get(`/v1/jobs/${run.body.job_id}/results?limit=2`);
    expect(page.body).toEqual({
      columns: ['id', 'label'],
      rows: rows.slice(0, 2).map((r) => r.slice(0, 2)),
      row_count: 3,
      next_cursor: expect.any(String),
    });
    const rest = await api.as().get(`/v1/jobs/${run.body.job_id}/results?cursor=${page.body.next_cursor}`);
    expect(rest.body.rows).toEqual([[2, 'n2']]);
    expect(rest.body.next_cursor).toBeNull();
    const csv = await api.as().get(`/v1/jobs/${run.body.job_id}/results?format=csv`).buffer(true);
    expect(csv.text).toBe('id,label\r\n0,"näme, ""0""\nline"\r\n1,n1\r\n2,n2\r\n');
  });

  it('answers 409 for the results of a job that did not succeed', async () => {
    const query = await api.as().post('/v1/save').send({
      name: 'bad',
      query: 'SELECT CAST(label AS INTEGER) AS n FROM dataset',
      dataset_id: done.dataset_id,
    });
    const run = await api.as().post(`/v1/query/${query.body.query_id}`).send({ execution_mode: 'async' });
    await waitFor(
      'the job to fail',
      async () => (await api.as().get(`/v1/jobs/${run.body.job_id}`)).body.status === 'failed',
    );
    const res = await api.as().get(`/v1/jobs/${run.body.job_id}/results`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/failed \(query_error\)/);
  });
});
