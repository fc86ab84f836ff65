import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { TJobStatus } from '@repo/contracts';
import { numbersCsv, startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import {
  asText,
  filesUnder,
  type ObjectStoreHarness,
  startObjectStoreHarness,
} from './testing/object-store-harness';
import { createTestApi, type TestApi } from './testing/test-api';

const ROWS = 15_000;
const INLINE_ROWS = 100;
const LINK_TTL_SECONDS = 300;

/** A self cross join over `x < $n`: a job that keeps its worker busy for a while (~1 s at 15,000). */
const PAIRS_SQL =
  'SELECT count(*) AS n FROM dataset a, dataset b WHERE a.x < $n AND b.x < $n AND (a.x * 7 + b.x) % 13 = 0';

/** What PAIRS_SQL answers over 0 … n-1. */
function pairsCount(n: number): number {
  let count = 0;
  for (let a = 0; a < n; a += 1) {
    const r = (((-7 * a) % 13) + 13) % 13;
    if (r < n) count += Math.floor((n - 1 - r) / 13) + 1;
  }
  return count;
}

/**
 * Issue "Object storage", as deployed across machines: two API replicas and two worker
 * processes, each with a DATA_DIR of its own, sharing nothing but Redis and a bucket on a real
 * S3-protocol server (s3rver on loopback).
 */
describe('object store: two API replicas and two workers sharing only Redis and a bucket', () => {
  let h: ObjectStoreHarness;
  let apiA: TestApi;
  let apiB: TestApi;
  /** A third replica on the same Redis, with the local store (OBJECT_STORE_URL unset). */
  let localApi: TestApi;
  let workers: WorkerProcess[] = [];
  let workerDirs: string[];
  let numbersId: string;
  let pairsQueryId: string;
  let allQueryId: string;
  /** The job of the large result (spilled to the bucket). */
  let bigJobId: string;
  /** A spilled result that only replica A has read (the one retried while the store was down). */
  let resultReadByA: string;
  /** Dataset-object GETs the bucket received once only workers could be reading datasets. */
  let datasetGetsFrom = 0;

  const job = async (api: TestApi, id: string) =>
    h.record(await api.as().get(`/v1/jobs/${id}`)).body as TJobStatus;
  const untilTerminal = (api: TestApi, id: string, timeoutMs = 30_000) =>
    waitFor(
      `job ${id} to end`,
      async () => {
        const status = await job(api, id);
        return status.status === 'succeeded' || status.status === 'failed' ? status : null;
      },
      timeoutMs,
    );
  const upload = async (api: TestApi, name: string, csv: string) =>
    h.record(await api.as().post(`/v1/datasets?name=${name}`).set('Content-Type', 'text/csv').send(csv));
  const run = async (api: TestApi, queryId: string, body: object) =>
    h.record(await api.as().post(`/v1/query/${queryId}`).send(body));
  /** Parquet files in a process's DATA_DIR outside its dataset cache. */
  const parquetOutsideCache = async (dir: string) =>
    (await filesUnder(dir)).filter((file) => file.endsWith('.parquet') && !file.startsWith('dataset-cache/'));
  const cachedCopy = (key: string) => `dataset-cache/${key.slice(h.prefix.length + 1)}`;
  const datasetGets = (datasetId: string) =>
    h.s3.requests.filter(
      (request) =>
        request.method === 'GET' &&
        request.url.includes('x-id=GetObject') &&
        request.url.includes(`/${h.datasetKey(datasetId)}`),
    ).length;
  /** Attempts of a job that the workers logged as failed. */
  const failuresLogged = (jobId: string) =>
    workers
      .flatMap((worker) => worker.output().split('\n'))
      .filter((line) => line.includes(`"jobId":"${jobId}"`) && line.includes('"msg":"query failed"')).length;
  /** Which worker's log names the job (each logs `query started` with the job id). */
  const ranOn = (jobId: string) => workers.map((worker) => worker.output().includes(jobId));

  beforeAll(async () => {
    h = await startObjectStoreHarness();
    apiA = await createTestApi({
      ...h.env,
      RESULTS_INLINE_MAX_ROWS: String(INLINE_ROWS),
      RESULT_LINK_TTL_SECONDS: String(LINK_TTL_SECONDS),
      WORKER_CONCURRENCY: '1',
      JOB_ATTEMPTS: '5',
    });
    apiB = await createTestApi({ DATA_DIR: await h.dataDir() }, apiA);
    localApi = await createTestApi(
      { DATA_DIR: await h.dataDir(), OBJECT_STORE_URL: '', S3_ENDPOINT: '', S3_FORCE_PATH_STYLE: '' },
      apiA,
    );
    workerDirs = [await h.dataDir(), await h.dataDir()];
    workers = await Promise.all(workerDirs.map((dir) => startWorker({ ...apiA.env, DATA_DIR: dir })));
  });

  afterAll(async () => {
    await h?.s3.up();
    await Promise.all(workers.map((worker) => worker.stop()));
    await localApi?.close();
    await apiB?.close();
    await apiA?.close();
    await h?.close();
  });

  it('stores an upload in the bucket only, and another replica checks a query against its own copy', async () => {
    const uploaded = await upload(apiA, 'numbers', numbersCsv(ROWS));
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.row_count).toBe(ROWS);
    numbersId = uploaded.body.dataset_id;

    const object = await h.bucket.head(h.datasetKey(numbersId));
    expect(object?.size).toBe(uploaded.body.size_bytes);
    expect(await parquetOutsideCache(apiA.dataDir)).toEqual([]);
    expect((await filesUnder(apiA.dataDir)).filter((file) => file.includes('/uploads/'))).toEqual([]);

    // Replica B never saw the upload: binding a query makes it fetch a copy to check columns against.
    expect(await filesUnder(apiB.dataDir)).not.toContain(cachedCopy(h.datasetKey(numbersId)));
    const pairs = h.record(
      await apiB.as().post('/v1/save').send({ name: 'pairs', query: PAIRS_SQL, dataset_id: numbersId }),
    );
    expect(pairs.status).toBe(201);
    pairsQueryId = pairs.body.query_id;
    expect(await filesUnder(apiB.dataDir)).toContain(cachedCopy(h.datasetKey(numbersId)));
    const wrong = h.record(
      await apiB
        .as()
        .post('/v1/save')
        .send({ name: 'wrong', query: 'SELECT nope FROM dataset', dataset_id: numbersId }),
    );
    expect(wrong.status).toBe(422);
    const all = h.record(
      await apiB
        .as()
        .post('/v1/save')
        .send({ name: 'all', query: 'SELECT x, x * 2 AS y FROM dataset ORDER BY x', dataset_id: numbersId }),
    );
    expect(all.status).toBe(201);
    allQueryId = all.body.query_id;
    datasetGetsFrom = datasetGets(numbersId);
    // Neither worker has run anything: both caches are cold.
    for (const dir of workerDirs) expect(await filesUnder(dir)).toEqual([]);
  });

  it('runs async jobs on both workers (each downloading the dataset once) and a sync run; status from either replica', async () => {
    const n = 15_000;
    // Each worker takes one job at a time (WORKER_CONCURRENCY=1): two jobs at once go to both.
    const submitted = await Promise.all(
      [apiA, apiB].map((api) => run(api, pairsQueryId, { execution_mode: 'async', parameters: { n } })),
    );
    expect(submitted.map((res) => res.status)).toEqual([202, 202]);
    const ids = submitted.map((res) => res.body.job_id as string);
    for (const id of ids) {
      const [viaA, viaB] = [await untilTerminal(apiA, id), await job(apiB, id)];
      expect(viaA).toMatchObject({ status: 'succeeded', progress: 100, dataset_id: numbersId });
      expect(Number(viaA.results?.rows[0]?.[0])).toBe(pairsCount(n));
      expect(viaB).toEqual(viaA);
    }
    expect(ids.map(ranOn)).toEqual(
      expect.arrayContaining([
        [true, false],
        [false, true],
      ]),
    );
    // A cold cache downloads; each worker now holds one copy, fetched once.
    for (const dir of workerDirs) {
      expect(await filesUnder(dir)).toContain(cachedCopy(h.datasetKey(numbersId)));
      expect(await parquetOutsideCache(dir)).toEqual([]);
    }
    expect(datasetGets(numbersId) - datasetGetsFrom).toBe(2);

    // Warm caches: more runs, sync and async, download nothing more.
    const sync = await run(apiB, pairsQueryId, { parameters: { n: 2_000 } });
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({ status: 'succeeded', execution_mode: 'sync' });
    expect(Number(sync.body.results.rows[0][0])).toBe(pairsCount(2_000));
    const more = await Promise.all(
      [apiA, apiB, apiA].map((api) =>
        run(api, pairsQueryId, { execution_mode: 'async', parameters: { n: 1_000 } }),
      ),
    );
    for (const res of more) {
      const done = await untilTerminal(apiA, res.body.job_id);
      expect(Number(done.results?.rows[0]?.[0])).toBe(pairsCount(1_000));
    }
    expect(datasetGets(numbersId) - datasetGetsFrom).toBe(2);
    const listed = h.record(await apiB.as().get(`/v1/jobs?query_id=${pairsQueryId}`));
    expect(listed.body.data).toHaveLength(6); // the sync run is a job too
  });

  describe('a result larger than the inline page', () => {
    let jobId: string;
    let done: TJobStatus;
    const expected = Array.from({ length: ROWS }, (_, x) => [x, x * 2]);

    beforeAll(async () => {
      const res = await run(apiA, allQueryId, { execution_mode: 'async' });
      jobId = res.body.job_id;
      bigJobId = jobId;
      done = await untilTerminal(apiA, jobId);
    });

    it('is kept in the bucket, not on the worker, with the first page inline', async () => {
      expect(done.status).toBe('succeeded');
      expect(done.results).toMatchObject({ row_count: ROWS, truncated: true });
      expect(done.results?.rows).toEqual(expected.slice(0, INLINE_ROWS));
      expect(await h.bucket.head(h.resultKey(jobId))).not.toBeNull();
      for (const dir of workerDirs) expect(await parquetOutsideCache(dir)).toEqual([]);
    });

    it('pages to the end through the other replica', async () => {
      const rows: unknown[][] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/v1/jobs/${jobId}/results?limit=4000${cursor ? `&cursor=${cursor}` : ''}`;
        const page = h.record(await apiB.as().get(path));
        expect(page.status).toBe(200);
        expect(page.body).toMatchObject({ columns: ['x', 'y'], row_count: ROWS });
        rows.push(...page.body.rows);
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(rows).toEqual(expected);
    });

    it('streams CSV and NDJSON whole and in order, from either replica', async () => {
      const csv = h.record(
        await apiB.as().get(`/v1/jobs/${jobId}/results`).set('Accept', 'text/csv').buffer(true).parse(asText),
      );
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.body).toBe(`x,y\r\n${expected.map(([x, y]) => `${x},${y}\r\n`).join('')}`);

      const ndjson = h.record(
        await apiA.as().get(`/v1/jobs/${jobId}/results?format=ndjson`).buffer(true).parse(asText),
      );
      expect(ndjson.status).toBe(200);
      expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const lines = (ndjson.body as string).split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.map((line) => JSON.parse(line))).toEqual(expected.map(([x, y]) => ({ x, y })));
    });

    it('?link=true answers a presigned URL of the Parquet file, valid for RESULT_LINK_TTL_SECONDS', async () => {
      const before = Date.now();
      const link = h.record(await apiB.as().get(`/v1/jobs/${jobId}/results?link=true`));
      const after = Date.now();
      expect(link.status).toBe(200);
      expect(link.body).toEqual({
        url: expect.any(String),
        format: 'parquet',
        expires_at: expect.any(String),
      });
      const expiresAt = Date.parse(link.body.expires_at);
      expect(expiresAt).toBeGreaterThanOrEqual(
        Math.floor(before / 1000) * 1000 + LINK_TTL_SECONDS * 1000 - 1000,
      );
      expect(expiresAt).toBeLessThanOrEqual(after + LINK_TTL_SECONDS * 1000);
      const url = new URL(link.body.url);
      expect(url.origin).toBe(h.s3.endpoint);
      expect(url.searchParams.get('X-Amz-Expires')).toBe(String(LINK_TTL_SECONDS));

      // Fetched as a client would, with no credentials of its own.
      const download = await fetch(link.body.url);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${jobId}.parquet"`);
      const bytes = Buffer.from(await download.arrayBuffer());
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('PAR1');
      expect(bytes.subarray(-4).toString('latin1')).toBe('PAR1');
      const file = join(await h.dataDir(), 'result.parquet');
      await writeFile(file, bytes);
      const duck = await DuckDBInstance.create(':memory:');
      try {
        const connection = await duck.connect();
        const reader = await connection.runAndReadAll(
          `SELECT count(*)::INTEGER, sum(x)::BIGINT::VARCHAR, min(y)::INTEGER, max(y)::INTEGER FROM read_parquet('${file}')`,
        );
        expect(reader.getRows()).toEqual([[ROWS, String((ROWS * (ROWS - 1)) / 2), 0, (ROWS - 1) * 2]]);
        connection.closeSync();
      } finally {
        duck.closeSync();
      }
    });

    it('?link=true is 400 for an inline result, and on the local store', async () => {
      const small = await run(apiA, pairsQueryId, { execution_mode: 'async', parameters: { n: 10 } });
      await untilTerminal(apiA, small.body.job_id);
      const inline = h.record(await apiA.as().get(`/v1/jobs/${small.body.job_id}/results?link=true`));
      expect(inline.status).toBe(400);
      expect(inline.body.error).toMatchObject({ code: 'validation_failed', details: ['link'] });

      const local = h.record(await localApi.as().get(`/v1/jobs/${jobId}/results?link=true`));
      expect(local.status).toBe(400);
      expect(local.body.error).toMatchObject({ code: 'validation_failed', details: ['link'] });
      expect(local.body.error.message).toMatch(/OBJECT_STORE_URL/);

      // Another tenant's job is unknown, link or not.
      expect(h.record(await apiA.as('globex').get(`/v1/jobs/${jobId}/results?link=true`)).status).toBe(404);
    });
  });

  it('deleting a dataset deletes its object', async () => {
    const doomed = await upload(apiB, 'doomed', numbersCsv(10));
    expect(doomed.status).toBe(201);
    const key = h.datasetKey(doomed.body.dataset_id);
    expect(await h.bucket.head(key)).not.toBeNull();
    expect(h.record(await apiA.as().delete(`/v1/datasets/${doomed.body.dataset_id}`)).status).toBe(204);
    expect(await h.bucket.head(key)).toBeNull();
    expect(h.record(await apiB.as().get(`/v1/datasets/${doomed.body.dataset_id}`)).status).toBe(404);
  });

  describe('while the store is down', () => {
    it('refuses uploads with 503 and Retry-After, leaving nothing; reads work; a job retries until it is back', async () => {
      // A dataset neither worker has a copy of, so a run must read the bucket.
      const fresh = await upload(apiA, 'fresh', numbersCsv(500));
      expect(fresh.status).toBe(201);
      const freshId: string = fresh.body.dataset_id;
      const datasetsBefore = h.record(await apiB.as().get('/v1/datasets')).body.data;
      const objectsBefore = await h.objectKeys();
      const earlierJobs = h.record(await apiA.as().get('/v1/jobs')).body.data;
      expect(earlierJobs.length).toBeGreaterThan(0);

      await h.s3.down();
      try {
        const refused = await upload(apiA, 'refused', numbersCsv(50));
        expect(refused.status).toBe(503);
        expect(refused.headers['retry-after']).toMatch(/^\d+$/);
        expect(refused.body).toEqual({
          error: { code: 'service_unavailable', message: expect.any(String), details: [] },
        });
        expect(await parquetOutsideCache(apiA.dataDir)).toEqual([]);
        expect(await filesUnder(join(apiA.dataDir, 'tenants'))).toEqual([]);

        // Deleting needs the store first: 503, and nothing changes.
        const undeleted = h.record(await apiB.as().delete(`/v1/datasets/${freshId}`));
        expect(undeleted.status).toBe(503);
        expect(undeleted.headers['retry-after']).toMatch(/^\d+$/);
        expect(undeleted.body.error.code).toBe('service_unavailable');

        // A link needs the store too; a page of a result this replica holds a copy of does not.
        const noLink = h.record(await apiA.as().get(`/v1/jobs/${bigJobId}/results?link=true`));
        expect(noLink.status).toBe(503);
        expect(noLink.headers['retry-after']).toMatch(/^\d+$/);
        const page = h.record(await apiB.as().get(`/v1/jobs/${bigJobId}/results?limit=5`));
        expect(page.status).toBe(200);
        expect(page.body.rows).toEqual([0, 1, 2, 3, 4].map((x) => [x, x * 2]));

        // Metadata and status live in Redis: reads go on.
        for (const api of [apiA, apiB]) {
          const datasets = h.record(await api.as().get('/v1/datasets'));
          expect(datasets.status).toBe(200);
          expect(datasets.body.data).toEqual(datasetsBefore);
          const jobs = h.record(await api.as().get('/v1/jobs'));
          expect(jobs.status).toBe(200);
          expect(jobs.body.data).toEqual(earlierJobs);
          expect(h.record(await api.as().get(`/v1/jobs/${earlierJobs[0].job_id}`)).status).toBe(200);
          expect(h.record(await api.as().get('/v1/queries')).status).toBe(200);
          expect(h.record(await api.as().get(`/v1/datasets/${freshId}`)).status).toBe(200);
        }

        // Runs that need the bucket fail their attempts as internal and are retried: one must
        // download its dataset; the other reads a cached dataset but must upload its result.
        const needsDataset = await run(apiB, pairsQueryId, {
          execution_mode: 'async',
          dataset_id: freshId,
          parameters: { n: 500 },
        });
        const spills = await run(apiA, allQueryId, { execution_mode: 'async' });
        expect([needsDataset.status, spills.status]).toEqual([202, 202]);
        const ids: string[] = [needsDataset.body.job_id, spills.body.job_id];
        for (const id of ids) {
          // Two attempts have failed (and the third waits two seconds): the job is between attempts.
          await waitFor(`two failed attempts of ${id}`, async () => failuresLogged(id) >= 2, 15_000);
          expect(await job(apiA, id)).toMatchObject({ status: 'running', error: null, results: null });
        }
        // A result that could not be uploaded is not left on the worker's disk.
        for (const dir of workerDirs) expect(await parquetOutsideCache(dir)).toEqual([]);

        await h.s3.up();
        const [fromFresh, spilled] = await Promise.all(ids.map((id) => untilTerminal(apiB, id)));
        expect(fromFresh).toMatchObject({ status: 'succeeded', error: null });
        expect(fromFresh?.attempts).toBeGreaterThanOrEqual(2);
        expect(Number(fromFresh?.results?.rows[0]?.[0])).toBe(pairsCount(500));
        expect(spilled).toMatchObject({ status: 'succeeded', results: { row_count: ROWS, truncated: true } });
        expect(spilled?.attempts).toBeGreaterThanOrEqual(2);
        expect(await h.bucket.head(h.resultKey(ids[1] ?? ''))).not.toBeNull();
        resultReadByA = ids[1] ?? '';
        // The retried result is whole: its second page follows the inline one.
        const next = h.record(await apiA.as().get(spilled?.results?.next ?? ''));
        expect(next.status).toBe(200);
        expect(next.body.rows.slice(0, 2)).toEqual([
          [INLINE_ROWS, INLINE_ROWS * 2],
          [INLINE_ROWS + 1, (INLINE_ROWS + 1) * 2],
        ]);
      } finally {
        await h.s3.up();
      }
      // Nothing of the refused upload: no record, no object.
      expect(h.record(await apiA.as().get('/v1/datasets')).body.data).toEqual(datasetsBefore);
      expect((await h.objectKeys('tenants/acme/datasets/')).sort()).toEqual(
        objectsBefore.filter((key) => key.startsWith('tenants/acme/datasets/')),
      );
    });
  });

  it('an object removed behind the service’s back fails the job as query_error: the dataset is gone', async () => {
    const vanishing = await upload(apiB, 'vanishing', numbersCsv(100));
    const id: string = vanishing.body.dataset_id;
    // Removed with the SDK, outside the service; no worker has a copy.
    await h.bucket.delete(h.datasetKey(id));
    expect(await h.bucket.head(h.datasetKey(id))).toBeNull();
    const res = await run(apiA, pairsQueryId, { dataset_id: id, parameters: { n: 10 } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ status: 'failed', error_code: 'query_error' });
    expect(res.body.error).toMatch(new RegExp(`dataset ${id} no longer exists`));
  });

  it('a result object removed behind the service’s back: 404, except from a replica holding a copy', async () => {
    await h.bucket.delete(h.resultKey(resultReadByA));
    const gone = h.record(await apiB.as().get(`/v1/jobs/${resultReadByA}/results?limit=10`));
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toMatch(/no longer kept/);
    expect(h.record(await apiB.as().get(`/v1/jobs/${resultReadByA}/results?format=csv`)).status).toBe(404);
    expect(h.record(await apiA.as().get(`/v1/jobs/${resultReadByA}/results?link=true`)).status).toBe(404);
    const cached = h.record(await apiA.as().get(`/v1/jobs/${resultReadByA}/results?limit=3`));
    expect(cached.status).toBe(200);
    expect(cached.body.rows).toEqual([
      [0, 0],
      [1, 2],
      [2, 4],
    ]);
    expect(h.record(await apiB.as().get(`/v1/jobs/${resultReadByA}`)).body.status).toBe('succeeded');
  });

  it('never shows the store’s secret key: not in any answer, not in the workers’ output', async () => {
    expect(h.answers.length).toBeGreaterThan(30);
    for (const answer of h.answers) expect(answer).not.toContain(h.secret);
    for (const worker of workers) {
      expect(worker.output()).toContain('worker ready');
      expect(worker.output()).not.toContain(h.secret);
    }
  });
});
