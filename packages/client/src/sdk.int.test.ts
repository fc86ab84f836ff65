import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { freePort, numbersCsv, SALES_CSV, SLOW_SQL } from '@repo/test-utils';
import { AnalyticsApiError, AnalyticsClient, type Job } from './index';
import { startStack, type TestStack } from './testing/test-stack';

const MONTHLY_SQL =
  'SELECT region, SUM(revenue) AS total_revenue FROM dataset WHERE month = $month GROUP BY region ORDER BY region';

/** Pairs (a, b) of 0…29,999 with (7a + b) % 13 = 0: what SLOW_SQL counts. */
function slowCount(rows: number): number {
  const perResidue = Array.from({ length: 13 }, (_, r) => Math.floor((rows - 1 - r) / 13) + 1);
  let total = 0;
  for (let a = 0; a < rows; a += 1) total += perResidue[(13 - ((a * 7) % 13)) % 13] ?? 0;
  return total;
}

async function rejection(promise: Promise<unknown>): Promise<AnalyticsApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AnalyticsApiError);
  return error as AnalyticsApiError;
}

describe('the SDK against the real API and worker', () => {
  let stack: TestStack;
  let client: AnalyticsClient;
  let dir: string;
  let salesPath: string;
  let numbersId: string;
  let slowQueryId: string;

  beforeAll(async () => {
    stack = await startStack({ RESULTS_INLINE_MAX_ROWS: '100' });
    client = new AnalyticsClient({ baseUrl: stack.url, apiKey: stack.apiKey });
    dir = mkdtempSync(join(tmpdir(), 'analytics-sdk-'));
    salesPath = join(dir, 'sales.csv');
    writeFileSync(salesPath, SALES_CSV);
    writeFileSync(join(dir, 'numbers.csv'), numbersCsv(30_000));
    const numbers = await client.datasets.upload(createReadStream(join(dir, 'numbers.csv')), {
      name: 'numbers',
    });
    numbersId = numbers.dataset_id;
    slowQueryId = (await client.queries.save({ name: 'slow', query: SLOW_SQL, datasetId: numbersId }))
      .query_id;
  });

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a file stream, saves a query, and runs it sync and async', async () => {
    const dataset = await client.datasets.upload(createReadStream(salesPath), { name: 'sales' });
    expect(dataset).toMatchObject({ name: 'sales', row_count: 5 });
    expect(dataset.dataset_id).toMatch(/^dset_/);
    expect(dataset.columns.map((c) => [c.name, c.dtype])).toEqual([
      ['region', 'VARCHAR'],
      ['revenue', 'DOUBLE'],
      ['month', 'VARCHAR'],
    ]);
    expect(await client.datasets.get(dataset.dataset_id)).toEqual(dataset);
    expect(await client.datasets.schema(dataset.dataset_id)).toEqual({
      dataset_id: dataset.dataset_id,
      columns: dataset.columns,
    });

    const saved = await client.queries.save({
      name: 'monthly_revenue_by_region',
      query: MONTHLY_SQL,
      datasetId: dataset.dataset_id,
    });
    expect(saved).toMatchObject({ name: 'monthly_revenue_by_region', status: 'saved' });
    expect(await client.queries.get(saved.query_id)).toMatchObject({
      query: MONTHLY_SQL,
      dataset_id: dataset.dataset_id,
      parameters: ['month'],
    });

    const sync = await client.queries.run(saved.query_id, { parameters: { month: '2024-05' } });
    expect(sync).toMatchObject({ execution_mode: 'sync', status: 'succeeded', job_id: null });
    expect(sync.results).toEqual({
      columns: ['region', 'total_revenue'],
      rows: [
        ['North', 48320.5],
        ['South', 31205],
      ],
      row_count: 2,
    });

    const accepted = await client.queries.run(saved.query_id, {
      mode: 'async',
      parameters: { month: '2024-05' },
      priority: 'batch',
      timeoutMs: 60_000,
    });
    expect(accepted).toMatchObject({ execution_mode: 'async', status: 'queued', results: null });
    const job = await client.jobs.wait(accepted.job_id ?? '');
    expect(job).toMatchObject({ status: 'succeeded', progress: 100, priority: 'batch', error: null });
    expect(job.results).toEqual(sync.results);

    const structured = await client.queries.save({
      name: 'top_regions',
      datasetId: dataset.dataset_id,
      query: {
        group_by: ['region'],
        aggregates: [{ fn: 'sum', column: 'revenue', as: 'total_revenue' }],
        filters: [{ column: 'month', op: 'eq', value: { param: 'month' } }],
        order_by: [{ column: 'total_revenue', direction: 'desc' }],
      },
    });
    const top = await client.queries.runAndWait(structured.query_id, { parameters: { month: '2024-05' } });
    expect(top.results?.rows).toEqual([
      ['North', 48320.5],
      ['South', 31205],
    ]);
  });

  it('uploads a Blob and a web ReadableStream too', async () => {
    const ndjson = '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n';
    const fromBlob = await client.datasets.upload(new Blob([ndjson], { type: 'application/x-ndjson' }), {
      name: 'blob',
    });
    expect(fromBlob.row_count).toBe(2);
    const web = Readable.toWeb(
      Readable.from([Buffer.from('[{"a": 1}, '), Buffer.from('{"a": 2}, {"a": 3}]')]),
    );
    const fromStream = await client.datasets.upload(web as ReadableStream<Uint8Array>, {
      name: 'web-stream',
      contentType: 'application/json',
    });
    expect(fromStream).toMatchObject({ name: 'web-stream', row_count: 3 });
  });

  it('waits for a slow job, telling its rising progress', async () => {
    const updates: Job[] = [];
    const job = await client.queries.runAndWait(slowQueryId, {
      onProgress: (update) => updates.push(update),
    });
    expect(job.status).toBe('succeeded');
    expect(job.results?.rows).toEqual([[slowCount(30_000)]]);
    const progress = updates.map((u) => u.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(updates.some((u) => u.status === 'running' && u.progress > 0 && u.progress < 100)).toBe(true);
    expect(updates.at(-1)).toEqual(job);
    // Each update is a change: no two neighbours alike.
    for (let i = 1; i < updates.length; i += 1) {
      const [before, after] = [updates[i - 1], updates[i]];
      expect(before?.status !== after?.status || before?.progress !== after?.progress).toBe(true);
    }
  });

  it('stops waiting on timeoutMs and on an AbortSignal, and cancels a running job', async () => {
    const accepted = await client.queries.run(slowQueryId, { mode: 'async' });
    const jobId = accepted.job_id ?? '';
    const timedOut = await rejection(client.jobs.wait(jobId, { timeoutMs: 50 }));
    expect(timedOut).toMatchObject({ code: 'wait_timeout', status: null });

    const controller = new AbortController();
    const aborted = await rejection(
      client.jobs.wait(jobId, {
        signal: controller.signal,
        onProgress: (job) => {
          if (job.status === 'running') controller.abort();
        },
      }),
    );
    expect(aborted.code).toBe('aborted');
    expect((await client.jobs.get(jobId)).status).toBe('running');

    const cancelled = await client.jobs.cancel(jobId);
    expect(cancelled).toMatchObject({ job_id: jobId, status: 'failed', error_code: 'cancelled' });
    expect(await client.jobs.wait(jobId)).toMatchObject({ status: 'failed', error_code: 'cancelled' });
    const again = await rejection(client.jobs.cancel(jobId));
    expect(again).toMatchObject({ code: 'conflict', status: 409 });
  });

  it("reads results as pages, as CSV text and as a stream, equal to the API's own CSV", async () => {
    const saved = await client.queries.save({
      name: 'spilled',
      query: `SELECT x, x * 2 AS y, 'a,"b"' AS s FROM dataset WHERE x < $n ORDER BY x`,
      datasetId: numbersId,
    });
    const job = await client.queries.runAndWait(saved.query_id, { parameters: { n: 250 } });
    expect(job.results).toMatchObject({ row_count: 250, truncated: true });

    const api = await fetch(`${stack.url}/v1/jobs/${job.job_id}/results`, {
      headers: { 'X-API-Key': stack.apiKey, Accept: 'text/csv' },
    });
    const apiCsv = await api.text();
    expect(apiCsv.split('\r\n')).toHaveLength(252);
    expect(apiCsv.split('\r\n')[1]).toBe('0,0,"a,""b"""');

    expect(await client.jobs.results(job.job_id, { format: 'csv' })).toBe(apiCsv);
    const stream = await client.jobs.results(job.job_id, { format: 'csv', as: 'stream' });
    expect(await new Response(stream).text()).toBe(apiCsv);

    const ndjson = await client.jobs.results(job.job_id, { format: 'ndjson' });
    const objects = ndjson
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(objects).toHaveLength(250);
    expect(objects[249]).toEqual({ x: 249, y: 498, s: 'a,"b"' });

    const rows: unknown[][] = [];
    let pages = 0;
    for await (const page of client.jobs.resultPages(job.job_id, { limit: 100 })) {
      pages += 1;
      rows.push(...page.rows);
      expect(page.columns).toEqual(['x', 'y', 's']);
    }
    expect(pages).toBe(3);
    expect(rows.map((row) => row[0])).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it('lists page by page, and deletes', async () => {
    const first = await client.datasets.list({ limit: 1 });
    expect(first.data).toHaveLength(1);
    expect(first.next_cursor).not.toBeNull();
    const all: string[] = [];
    for await (const dataset of client.datasets.listAll({ limit: 2 })) all.push(dataset.dataset_id);
    expect(all.length).toBeGreaterThanOrEqual(4);
    expect(new Set(all).size).toBe(all.length);
    expect(all[0]).toBe(first.data[0]?.dataset_id);

    const jobs: string[] = [];
    for await (const job of client.jobs.listAll({ queryId: slowQueryId, limit: 1 })) jobs.push(job.status);
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    const succeeded = await client.jobs.list({ queryId: slowQueryId, status: 'succeeded' });
    expect(succeeded.data.every((job) => job.status === 'succeeded' && !('results' in job))).toBe(true);

    const scratch = await client.datasets.upload('a\n1\n', { name: 'scratch', contentType: 'text/csv' });
    const query = await client.queries.save({ name: 'scratch', query: 'SELECT a FROM dataset' });
    await client.queries.delete(query.query_id);
    await client.datasets.delete(scratch.dataset_id);
    expect((await rejection(client.datasets.get(scratch.dataset_id))).code).toBe('not_found');
    expect((await rejection(client.queries.get(query.query_id))).code).toBe('not_found');
  });

  it('throws the envelope as AnalyticsApiError; a failing query is an answer, not an error', async () => {
    const traced = new AnalyticsClient({
      baseUrl: stack.url,
      apiKey: stack.apiKey,
      headers: { 'X-Request-Id': 'sdk-test-trace-1' },
    });
    const notFound = await rejection(traced.jobs.get('job_doesnotexist'));
    expect(notFound).toMatchObject({ code: 'not_found', status: 404, requestId: 'sdk-test-trace-1' });
    expect(notFound.message).toContain('job_doesnotexist');

    const missing = await rejection(client.queries.run(slowQueryId, { parameters: { month: '2024-05' } }));
    expect(missing).toMatchObject({ code: 'unexpected_parameter', status: 422 });
    expect(missing.details).toEqual(['parameters.month']);
    expect(missing.requestId).toMatch(/.+/);

    const badKey = new AnalyticsClient({ baseUrl: stack.url, apiKey: 'not-a-key-of-this-server' });
    expect(await rejection(badKey.datasets.list())).toMatchObject({ code: 'unauthorized', status: 401 });

    const failing = await client.queries.save({
      name: 'bad cast',
      query: "SELECT CAST('x' || x AS INTEGER) AS n FROM dataset",
      datasetId: numbersId,
    });
    const run = await client.queries.run(failing.query_id);
    expect(run).toMatchObject({ status: 'failed', error_code: 'query_error', results: null });
    expect(run.error).toMatch(/.+/);
    const job = await client.queries.runAndWait(failing.query_id);
    expect(job).toMatchObject({ status: 'failed', error_code: 'query_error' });
  });

  it('says `unreachable` when nothing answers', async () => {
    const nowhere = new AnalyticsClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, apiKey: 'k' });
    const error = await rejection(nowhere.datasets.list());
    expect(error).toMatchObject({ code: 'unreachable', status: null, requestId: null, unreachable: true });
    expect(error.message).toContain('ECONNREFUSED');
  });
});
