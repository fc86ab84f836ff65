import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { dataKeys, QUERY_QUEUE_NAME } from '@repo/queue';
import { createObjectStore } from '@repo/storage';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { Context } from '../lib/context';
import { alternate, type Comparison, compare } from '../lib/model';
import type { BenchProcess } from '../lib/processes';
import { startS3Server } from '../lib/s3-server';
import { apiClient, startApi, startWorkers, TENANT } from '../lib/stack';
import { spread } from '../lib/stats';
import { AGGREGATIONS, type JobWatch, rawSqlOn, runToEnd, uploadCsv } from './data-pairs';

/** The bucket service's own key prefix: its jobs never reach the other service's worker. */
const BUCKET_QUEUE_PREFIX = '{bench-s3}';
/** Where the service keeps its objects in the bucket (OBJECT_STORE_URL's prefix). */
const OBJECT_PREFIX = 'service';

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;
const pct = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;

/**
 * Pair 8: pair 5's aggregations with the dataset in a bucket. s3rver on loopback stands in for
 * the object store; an API and a worker of their own run with OBJECT_STORE_URL set (their own
 * QUEUE_PREFIX, each its own DATA_DIR), and the CSV is uploaded through that API (converted,
 * then put in the bucket). Raw DuckDB reads a local copy of that very object.
 * - Warm cache (target 1.2×, as pair 5): the worker already holds its copy of the dataset.
 * - Cold cache (no target): the dataset's first job on a worker started with an empty
 *   DATA_DIR, the tenant's sandbox already started by a job on a small dataset, so the
 *   difference from the warm run is the download. The download is also timed alone (the
 *   harness's own `getToFile` of the object), and both are reported as a share of the cold run.
 */
export async function bucketAggregation(ctx: Context, csv: string): Promise<Comparison[]> {
  const { settings, stack, rawDuckdb } = ctx;
  const s3 = await startS3Server(join(stack.workDir, 's3rver'));
  const queueConnection = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
  const eventsConnection = new Redis(stack.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(QUERY_QUEUE_NAME, { connection: queueConnection, prefix: BUCKET_QUEUE_PREFIX });
  const events = new QueueEvents(QUERY_QUEUE_NAME, {
    connection: eventsConnection,
    prefix: BUCKET_QUEUE_PREFIX,
  });
  // The harness's own client of the bucket, to time a download alone and give raw DuckDB its file.
  const store = createObjectStore(
    {
      DATA_DIR: stack.workDir,
      OBJECT_STORE_URL: s3.url(OBJECT_PREFIX),
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: true,
    },
    { region: s3.region, credentials: s3.credentials },
  );
  const env = { QUEUE_PREFIX: BUCKET_QUEUE_PREFIX, ...s3.serviceEnv(OBJECT_PREFIX) };
  const running: { api?: BenchProcess; worker?: BenchProcess; workerDataDir?: string; workers: number } = {
    workers: 0,
  };
  /** A worker process on an empty DATA_DIR of its own: nothing in its dataset cache. */
  const freshWorker = async () => {
    await running.worker?.stop();
    if (running.workerDataDir) await rm(running.workerDataDir, { recursive: true, force: true });
    running.workers += 1;
    const dataDir = join(stack.workDir, `s3-worker-${running.workers}`);
    const [proc] = await startWorkers(
      stack,
      1,
      { ...env, DATA_DIR: dataDir, WORKER_CONCURRENCY: String(settings.workerConcurrency) },
      undefined,
      { queue, name: 's3-worker' },
    );
    running.worker = proc;
    running.workerDataDir = dataDir;
  };

  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const handle = await startApi(stack, 'api-s3', {
      env: { ...env, DATA_DIR: join(stack.workDir, 's3-api') },
    });
    running.api = handle.proc;
    const client = apiClient(handle);
    const watch: JobWatch = { client, queue, events };

    const t0 = process.hrtime.bigint();
    const big = await uploadCsv(handle.url, csv, 'bench-big-s3');
    if (big.rowCount !== settings.bigRows)
      throw new Error(`uploaded ${big.rowCount} rows, not ${settings.bigRows}`);
    ctx.log(`pair 8: dataset uploaded through the API into the bucket in ${seconds(t0).toFixed(2)} s`);
    const smallCsv = join(stack.workDir, 's3-small.csv');
    writeFileSync(smallCsv, 'region,revenue\nNorth,1.5\nSouth,2.5\n');
    const small = await uploadCsv(handle.url, smallCsv, 'bench-small-s3');

    const key = dataKeys.dataset(TENANT, big.datasetId);
    const copy = join(stack.workDir, 's3-object.parquet');
    const downloads: number[] = [];
    const download = async () => {
      const from = process.hrtime.bigint();
      const info = await store.getToFile(key, copy);
      downloads.push(seconds(from));
      return info.size;
    };
    const sizeMb = (await download()) / 1e6;

    // Warm cache: the first run of each query (unmeasured) brings the dataset to the worker.
    await freshWorker();
    const out: Comparison[] = [];
    const queryIds = new Map<string, string>();
    for (const q of AGGREGATIONS) {
      const queryId = await client.saveQuery(`${q.id}-s3`, q.sql, big.datasetId);
      queryIds.set(q.id, queryId);
      const rawSql = rawSqlOn(q.sql, copy);
      await runToEnd(watch, queryId);
      await rawDuckdb.run([rawSql]);
      const r = await alternate(settings.aggregationRounds, {
        a: () => runToEnd(watch, queryId),
        b: async () => (await rawDuckdb.run([rawSql])).ms / 1000,
      });
      ctx.log(
        `${q.id} (bucket, warm): service ${r.a.map((x) => x.toFixed(3))} s, raw ${r.b.map((x) => x.toFixed(3))} s`,
      );
      out.push(
        compare(
          {
            id: `${q.id}-bucket-warm`,
            pair: 8,
            title: `Bucket, warm cache: ${q.title}`,
            unit: 's',
            serviceLabel: 'async job: submit → succeeded, dataset in the bucket, copy in the worker’s cache',
            rawLabel: 'raw DuckDB, same SQL, a local copy of the same Parquet, rows read into JS',
            target: { kind: 'max-ratio', value: 1.2 },
            note: `${settings.bigRows.toLocaleString('en')} rows, ${sizeMb.toFixed(0)} MB Parquet in s3rver on loopback${
              q.id === 'agg-100k-groups'
                ? '; the spilled result is uploaded to the bucket within each job'
                : ''
            }`,
          },
          r.a,
          r.b,
        ),
      );
    }

    // Cold cache: a fresh worker per round; its first job (small dataset) starts the sandbox.
    const coldSql = AGGREGATIONS[0];
    const coldQuery = queryIds.get(coldSql.id) as string;
    const coldRawSql = rawSqlOn(coldSql.sql, copy);
    const smallQuery = await client.saveQuery(
      'count-s3',
      'SELECT count(*) AS n FROM dataset',
      small.datasetId,
    );
    const cold: number[] = [];
    const warmAfter: number[] = [];
    const raw: number[] = [];
    const downloadsFrom = downloads.length;
    for (let round = 0; round < settings.objectStoreColdRounds; round += 1) {
      await freshWorker();
      await runToEnd(watch, smallQuery);
      cold.push(await runToEnd(watch, coldQuery));
      warmAfter.push(await runToEnd(watch, coldQuery));
      raw.push((await rawDuckdb.run([coldRawSql])).ms / 1000);
      await download();
      ctx.log(
        `${coldSql.id} (bucket, cold): first job ${cold.at(-1)?.toFixed(3)} s, next ${warmAfter.at(-1)?.toFixed(3)} s; download alone ${downloads.at(-1)?.toFixed(3)} s; raw ${raw.at(-1)?.toFixed(3)} s`,
      );
    }
    const coldMedian = spread(cold).median;
    const gap = spread(cold.map((c, i) => c - (warmAfter[i] ?? Number.NaN))).median;
    const alone = spread(downloads.slice(downloadsFrom)).median;
    out.push(
      compare(
        {
          id: `${coldSql.id}-bucket-cold`,
          pair: 8,
          title: `Bucket, cold cache: ${coldSql.title}`,
          unit: 's',
          serviceLabel: 'the dataset’s first job on a worker started with an empty DATA_DIR',
          rawLabel: 'raw DuckDB on a local copy (no download)',
          target: { kind: 'none' },
          note: `the dataset's first job on a fresh worker (its sandbox already started); cold − warm (the next job on that worker): ${gap.toFixed(3)} s, ${pct(gap, coldMedian)} of the cold run; the ${sizeMb.toFixed(0)} MB download alone (getToFile from s3rver on loopback, in the harness): ${alone.toFixed(3)} s, ${pct(alone, coldMedian)}`,
        },
        cold,
        raw,
      ),
    );
    await client.delete(`/v1/datasets/${big.datasetId}`);
    return out;
  } finally {
    await running.worker?.stop();
    await running.api?.stop();
    await events.close();
    await queue.close();
    queueConnection.disconnect();
    eventsConnection.disconnect();
    store.close();
    await s3.stop();
  }
}
