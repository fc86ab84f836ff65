import { createReadStream, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { dataLayout } from '@repo/queue';
import type { Queue, QueueEvents } from 'bullmq';
import type { Context } from '../lib/context';
import { alternate, type Comparison, compare } from '../lib/model';
import { childPids, peakRssMb, resetPeakRss, rssMb } from '../lib/processes';
import { API_KEY, type ApiClient, TENANT } from '../lib/stack';
import { spread } from '../lib/stats';

const REGIONS = ['North', 'South', 'East', 'West', 'Central', 'Nordic', 'Iberia', 'Alps'];
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * A deterministic CSV of `rows` rows written by DuckDB: 8 regions, 100,000 products,
 * revenue with cents, and timestamps over 2024.
 */
export async function generateCsv(ctx: Context, name: string, rows: number): Promise<string> {
  const path = join(ctx.stack.workDir, `${name}.csv`);
  const regions = `[${REGIONS.map(sqlString).join(', ')}]`;
  await ctx.rawDuckdb.run([
    `COPY (
       SELECT ${regions}[CAST(hash(i * 13 + 1) % 8 AS INTEGER) + 1] AS region,
              'p' || lpad(CAST(hash(i * 7 + 5) % 100000 AS VARCHAR), 5, '0') AS product,
              round(CAST(hash(i * 31 + 7) % 1000000 AS DOUBLE) / 100, 2) AS revenue,
              TIMESTAMP '2024-01-01 00:00:00' + to_seconds(CAST(hash(i * 17 + 3) % 31536000 AS BIGINT)) AS ts
       FROM range(${rows}) t(i)
     ) TO ${sqlString(path)} (FORMAT csv, HEADER true)`,
  ]);
  return path;
}

/** Streams a file to POST /v1/datasets as a client would; resolves with the answer and wall time. */
export function uploadCsv(
  apiUrl: string,
  file: string,
  name: string,
): Promise<{ ms: number; datasetId: string; rowCount: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request(
      `${apiUrl}/v1/datasets?name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: { 'x-api-key': API_KEY, 'content-type': 'text/csv', 'content-length': statSync(file).size },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (res.statusCode !== 201) {
            reject(new Error(`upload answered ${res.statusCode}: ${text}`));
            return;
          }
          const body = JSON.parse(text) as { dataset_id: string; row_count: number };
          resolve({ ms, datasetId: body.dataset_id, rowCount: body.row_count });
        });
      },
    );
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

/**
 * Pair 6: uploading the CSV through the API (streamed to disk, converted by the API's
 * DuckDB) against raw DuckDB converting the same file to Parquet itself. The API's peak
 * RSS is read from VmHWM, reset before each upload. Leaves one uploaded dataset in place
 * and returns its id for pair 5.
 */
export async function ingest(
  ctx: Context,
  csv: string,
): Promise<{ comparisons: Comparison[]; datasetId: string }> {
  const { settings, api, rawDuckdb, stack } = ctx;
  const rawTarget = join(stack.workDir, 'raw-ingest.parquet');
  const peaks: number[] = [];
  const converterPeaks: number[] = [];
  let resetWorked = true;
  let kept: string | null = null;
  const sampled: number[] = [];
  const r = await alternate(settings.ingestRounds, {
    a: async () => {
      resetWorked = resetPeakRss(api.proc.pid) && resetWorked;
      const before = rssMb(api.proc.pid);
      const up = await uploadCsv(api.url, csv, 'bench-big');
      peaks.push(peakRssMb(api.proc.pid));
      // The API converts in a child process of its own (kept a while after an upload): its
      // peak is reported beside the API's, not hidden.
      const converters = childPids(api.proc.pid).map(peakRssMb).filter(Number.isFinite);
      if (converters.length > 0) converterPeaks.push(Math.max(...converters));
      if (up.rowCount !== settings.bigRows)
        throw new Error(`uploaded ${up.rowCount} rows, not ${settings.bigRows}`);
      if (kept) await ctx.client.delete(`/v1/datasets/${kept}`);
      kept = up.datasetId;
      ctx.log(
        `ingest: service ${(up.ms / 1000).toFixed(2)} s, API RSS ${before.toFixed(0)} → peak ${peaks.at(-1)?.toFixed(0)} MB; converter process peak ${converterPeaks.at(-1)?.toFixed(0) ?? '?'} MB`,
      );
      return up.ms / 1000;
    },
    b: async () => {
      const plain = await rawDuckdb.run([
        `COPY (SELECT * FROM read_csv(${sqlString(csv)})) TO ${sqlString(rawTarget)} (FORMAT parquet)`,
      ]);
      await rm(rawTarget, { force: true });
      // The same conversion with the service's own reader options (types from every row).
      const full = await rawDuckdb.run([
        `COPY (SELECT * FROM read_csv(${sqlString(csv)}, header = true, delim = ',', quote = '"', escape = '"', sample_size = -1)) TO ${sqlString(rawTarget)} (FORMAT parquet)`,
      ]);
      await rm(rawTarget, { force: true });
      sampled.push(full.ms / 1000);
      ctx.log(
        `ingest: raw ${(plain.ms / 1000).toFixed(2)} s (sample_size=-1: ${(full.ms / 1000).toFixed(2)} s)`,
      );
      return plain.ms / 1000;
    },
  });
  if (!kept) throw new Error('no dataset was uploaded');
  const peak = spread(peaks);
  const sizeMb = statSync(csv).size / 1e6;
  const comparisons = [
    compare(
      {
        id: 'ingest',
        pair: 6,
        title: 'Ingest CSV → Parquet: wall time',
        unit: 's',
        serviceLabel: 'POST /v1/datasets (streamed upload + conversion)',
        rawLabel: "DuckDB COPY read_csv(…) TO '….parquet'",
        target: { kind: 'max-ratio', value: 1.3 },
        note: `${settings.bigRows.toLocaleString('en')} rows, ${sizeMb.toFixed(0)} MB CSV; raw with the service's reader options (sample_size=-1): ${spread(sampled).median.toFixed(2)} s`,
      },
      r.a,
      r.b,
    ),
    {
      id: 'ingest-peak-rss',
      pair: 6,
      title: 'Ingest: API peak RSS',
      unit: 'MB',
      serviceLabel: 'API process VmHWM during the upload',
      rawLabel: '300 MB budget',
      service: peak,
      raw: spread([300]),
      measure: spread(peaks.map((p) => p / 300)),
      target: { kind: 'max-ratio', value: 1 },
      met: peak.max < 300,
      note: `${
        resetWorked
          ? 'VmHWM reset before each upload'
          : 'VmHWM could not be reset: peak since the API started'
      }; the conversion runs in the API's converter child process, whose own peak was ${
        converterPeaks.length > 0 ? `${spread(converterPeaks).median.toFixed(0)} MB` : 'not found'
      }`,
    } satisfies Comparison,
  ];
  return { comparisons, datasetId: kept };
}

/** Where a service's jobs are watched from: its queue and event stream (the harness's own connections). */
export interface JobWatch {
  client: ApiClient;
  queue: Queue;
  events: QueueEvents;
}

/**
 * Submits an async run and waits for the job's terminal event (seen by the harness's
 * QueueEvents); resolves with the seconds from submit to that event once the status says succeeded.
 */
export async function runToEnd(watch: JobWatch, queryId: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const jobId = await watch.client.runAsync(queryId);
  const job = await watch.queue.getJob(jobId);
  if (!job) throw new Error(`job ${jobId} is missing`);
  await job.waitUntilFinished(watch.events, 600_000);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const status = await watch.client.get<{ status: string }>(`/v1/jobs/${jobId}`);
  if (status.body.status !== 'succeeded')
    throw new Error(`job ${jobId} ended ${JSON.stringify(status.body)}`);
  return seconds;
}

/** Pair 5's aggregations (pair 8 runs them again with the dataset in a bucket). */
export const AGGREGATIONS = [
  {
    id: 'agg-8-groups',
    title: 'GROUP BY region SUM(revenue) (8 groups)',
    sql: 'SELECT region, SUM(revenue) AS revenue FROM dataset GROUP BY region ORDER BY region',
  },
  {
    id: 'agg-100k-groups',
    title: 'GROUP BY product (100,000 groups)',
    sql: 'SELECT product, SUM(revenue) AS revenue, COUNT(*) AS orders, MAX(ts) AS last_order FROM dataset GROUP BY product ORDER BY product',
  },
] as const;

/** The same SQL for raw DuckDB, reading `parquet` in place of the service's `dataset` view. */
export const rawSqlOn = (sql: string, parquet: string) =>
  sql.replace('FROM dataset', `FROM read_parquet(${sqlString(parquet)})`);

/**
 * Pair 5: aggregations over the uploaded dataset, run as async jobs through the API,
 * against the same SQL in raw DuckDB on the same Parquet file.
 */
export async function aggregation(ctx: Context, datasetId: string): Promise<Comparison[]> {
  const { settings, stack } = ctx;
  const parquet = dataLayout.datasetFile(stack.dataDir, TENANT, datasetId);
  const watch: JobWatch = { client: ctx.client, queue: stack.serviceQueue, events: stack.serviceEvents };
  const out: Comparison[] = [];
  for (const q of AGGREGATIONS) {
    const queryId = await ctx.client.saveQuery(q.id, q.sql, datasetId);
    const rawSql = rawSqlOn(q.sql, parquet);
    // One unmeasured run each: the file is in the page cache for both sides alike.
    await runToEnd(watch, queryId);
    await ctx.rawDuckdb.run([rawSql]);
    const r = await alternate(settings.aggregationRounds, {
      a: () => runToEnd(watch, queryId),
      b: async () => (await ctx.rawDuckdb.run([rawSql])).ms / 1000,
    });
    ctx.log(`${q.id}: service ${r.a.map((x) => x.toFixed(3))} s, raw ${r.b.map((x) => x.toFixed(3))} s`);
    out.push(
      compare(
        {
          id: q.id,
          pair: 5,
          title: `Aggregation: ${q.title}`,
          unit: 's',
          serviceLabel: 'async job: submit → succeeded',
          rawLabel: 'raw DuckDB, same SQL, same Parquet, rows read into JS',
          target: { kind: 'max-ratio', value: 1.2 },
          note: `${settings.bigRows.toLocaleString('en')} rows`,
        },
        r.a,
        r.b,
      ),
    );
  }
  return out;
}
