import { dataLayout } from '@repo/queue';
import { Queue } from 'bullmq';
import type { Context } from '../lib/context';
import { lastJsonLine } from '../lib/load';
import { alternate, type Comparison, type Curve, compare, rotate } from '../lib/model';
import { type BenchProcess, coreMeter, PATHS, sleep, spawnTs } from '../lib/processes';
import { RAW_PREFIX, startRawWorker, startWorkers, stopAll, TENANT } from '../lib/stack';
import { spread } from '../lib/stats';
import type { LatencyResult, LatencySpec } from '../load/latency-types';
import { RAW_JOB_NAME, RAW_JOB_OPTIONS } from '../raw/raw-env';

const RAW_QUEUE = 'raw-jobs';
const GLUE_QUEUE = 'raw-duckdb-jobs';

async function finishedCount(queue: Queue): Promise<{ done: number; failed: number }> {
  const counts = await queue.getJobCounts('completed', 'failed');
  return { done: (counts.completed ?? 0) + (counts.failed ?? 0), failed: counts.failed ?? 0 };
}

/**
 * Resumes a paused queue holding `jobs` waiting jobs and times how long until all have
 * finished, polling the counts every 10 ms (the same way for both sides).
 */
export async function timeDrain(queue: Queue, jobs: number, meterPids: number[] = []) {
  const before = await finishedCount(queue);
  const meter = coreMeter(meterPids);
  const t0 = process.hrtime.bigint();
  await queue.resume();
  const deadline = Date.now() + 300_000;
  let now = before;
  while (now.done < before.done + jobs) {
    if (Date.now() > deadline) throw new Error(`only ${now.done - before.done} of ${jobs} jobs finished`);
    await sleep(10);
    now = await finishedCount(queue);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const { cores } = meter.stop();
  await queue.pause();
  const failed = now.failed - before.failed;
  if (failed > 0) throw new Error(`${failed} of ${jobs} jobs failed`);
  return { seconds, jobsPerSec: jobs / seconds, cores };
}

/** Submits `count` async runs through the API, `inFlight` at a time. */
export async function submitRuns(ctx: Context, queryId: string, count: number, inFlight = 8): Promise<void> {
  let next = 0;
  const loop = async () => {
    while (next < count) {
      next += 1;
      await ctx.client.runAsync(queryId);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
}

async function addRaw(queue: Queue, payload: unknown, count: number): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    const n = Math.min(500, count - i);
    await queue.addBulk(
      Array.from({ length: n }, () => ({ name: RAW_JOB_NAME, data: payload, opts: RAW_JOB_OPTIONS })),
    );
  }
}

/**
 * Pair 3: trivial queries submitted in bulk (through the API, while the queue is paused),
 * then run to `succeeded` by one worker process; against raw BullMQ jobs added in bulk and
 * run by a trivial processor with the same concurrency.
 */
export async function jobThroughput(ctx: Context, rawWorker: BenchProcess): Promise<Comparison[]> {
  const { settings, stack, ids } = ctx;
  const rawQueue = new Queue(RAW_QUEUE, { connection: stack.connection, prefix: RAW_PREFIX });
  // Not a target: BullMQ + DuckDB glue running the same SQL on the same file, to show how
  // much of the gap is DuckDB itself and how much the service's work around it.
  const glueQueue = new Queue(GLUE_QUEUE, { connection: stack.connection, prefix: RAW_PREFIX });
  const parquet = dataLayout.datasetFile(stack.dataDir, TENANT, ids.smallDataset);
  const glueWorker = await startRawWorker(
    stack,
    GLUE_QUEUE,
    settings.workerConcurrency,
    `SELECT count(*) AS n FROM read_parquet('${parquet.replace(/'/g, "''")}')`,
  );
  const n = settings.throughputJobs;
  const rawSide = (queue: Queue, worker: BenchProcess, jobs: number) => async () => {
    await queue.pause();
    await addRaw(queue, ctx.payload, jobs);
    return timeDrain(queue, jobs, [worker.pid]);
  };
  try {
    const r = await rotate(settings.throughputRounds, {
      service: async () => {
        await stack.serviceQueue.pause();
        await submitRuns(ctx, ids.trivialQuery, n);
        return timeDrain(
          stack.serviceQueue,
          n,
          ctx.workers.map((w) => w.pid),
        );
      },
      raw: rawSide(rawQueue, rawWorker, settings.rawThroughputJobs),
      glue: rawSide(glueQueue, glueWorker, n * 2),
    });
    await stack.serviceQueue.resume();
    await rawQueue.resume();
    const show = (xs: { jobsPerSec: number; cores: number }[]) =>
      `${xs.map((x) => Math.round(x.jobsPerSec))} (cores ${xs.map((x) => x.cores.toFixed(2))})`;
    ctx.log(`jobs/s: service ${show(r.service)}, raw ${show(r.raw)}, BullMQ+DuckDB glue ${show(r.glue)}`);
    const glue = spread(r.glue.map((x) => x.jobsPerSec));
    const vsGlue = spread(r.service.map((x, i) => x.jobsPerSec / (r.glue[i]?.jobsPerSec ?? Number.NaN)));
    const cores = (xs: { cores: number }[]) => spread(xs.map((x) => x.cores)).median.toFixed(2);
    return [
      compare(
        {
          id: 'job-throughput',
          pair: 3,
          title: 'Job throughput, trivial query, one worker process',
          unit: 'jobs/s',
          serviceLabel: `worker (DuckDB, WORKER_CONCURRENCY=${settings.workerConcurrency})`,
          rawLabel: `BullMQ Worker, trivial processor, concurrency ${settings.workerConcurrency}`,
          target: { kind: 'min-ratio', value: 0.5 },
          note: `${n} jobs per round (raw: ${settings.rawThroughputJobs}); worker cores: service ${cores(r.service)}, raw ${cores(r.raw)}; BullMQ + DuckDB glue (same SQL and file, a connection per job): ${Math.round(glue.median)} jobs/s on ${cores(r.glue)} cores, service / glue ${vsGlue.median.toFixed(2)}× (${vsGlue.min.toFixed(2)}–${vsGlue.max.toFixed(2)})`,
        },
        r.service.map((x) => x.jobsPerSec),
        r.raw.map((x) => x.jobsPerSec),
      ),
    ];
  } finally {
    await glueWorker.stop();
    await glueQueue.obliterate({ force: true });
    await glueQueue.close();
    await rawQueue.close();
  }
}

async function latencyRun(ctx: Context, mode: 'service' | 'raw'): Promise<LatencyResult> {
  const { settings, stack } = ctx;
  const spec: LatencySpec = {
    mode,
    redisUrl: stack.redis.url,
    prefix: mode === 'raw' ? RAW_PREFIX : (stack.serviceEnv.QUEUE_PREFIX ?? ''),
    queue: mode === 'raw' ? RAW_QUEUE : stack.serviceQueue.name,
    ratePerSec: settings.latencyRate,
    durationSec: settings.latencySeconds,
    url: `${ctx.api.url}/v1/query/${ctx.ids.trivialQuery}`,
    headers: ctx.client.headers,
    body: ctx.runBody,
    payload: ctx.payload,
  };
  const proc = spawnTs(`latency-${mode}`, PATHS.latencyClient, {}, { args: [JSON.stringify(spec)] });
  const result = await lastJsonLine<LatencyResult>(proc);
  if (result.failed + result.missing + result.submitErrors > 0) {
    throw new Error(`latency ${mode}: ${JSON.stringify(result)}`);
  }
  return result;
}

/** Pair 4: submit → terminal at a steady moderate rate, service against raw BullMQ. */
export async function latency(ctx: Context): Promise<Comparison[]> {
  const { settings } = ctx;
  await ctx.stack.serviceQueue.resume();
  const r = await alternate(settings.latencyRounds, {
    a: () => latencyRun(ctx, 'service'),
    b: () => latencyRun(ctx, 'raw'),
  });
  ctx.log(
    `latency p50/p99 ms: service ${r.a.map((x) => `${x.latency.p50.toFixed(1)}/${x.latency.p99.toFixed(1)}`)}, raw ${r.b.map((x) => `${x.latency.p50.toFixed(1)}/${x.latency.p99.toFixed(1)}`)}`,
  );
  const base = {
    pair: 4,
    serviceLabel: 'POST async → succeeded',
    rawLabel: 'Queue.add → completed',
    note: `${settings.latencyRate} jobs/s for ${settings.latencySeconds} s per round (${r.a[0]?.submitted ?? 0} jobs)`,
  };
  return [
    compare(
      {
        ...base,
        id: 'latency-p50',
        title: 'Submit → terminal, p50',
        unit: 'p50 ms',
        target: { kind: 'max-diff', value: 5 },
      },
      r.a.map((x) => x.latency.p50),
      r.b.map((x) => x.latency.p50),
    ),
    compare(
      {
        ...base,
        id: 'latency-p99',
        title: 'Submit → terminal, p99',
        unit: 'p99 ms',
        target: { kind: 'max-diff', value: 20 },
      },
      r.a.map((x) => x.latency.p99),
      r.b.map((x) => x.latency.p99),
    ),
  ];
}

/** The raw worker for pairs 3 and 4. */
export function startRawJobsWorker(ctx: Context): Promise<BenchProcess> {
  return startRawWorker(ctx.stack, RAW_QUEUE, ctx.settings.workerConcurrency);
}

/**
 * Pair 7, workers: a CPU-bound medium query run by 1, 2 and 4 worker processes, each with
 * WORKER_CONCURRENCY=1 and DUCKDB_THREADS=1 so that one process uses at most one core.
 */
export async function workerScale(ctx: Context, mediumQuery: string): Promise<Curve> {
  const { settings, stack } = ctx;
  await stopAll(ctx.workers);
  ctx.workers = [];
  const byCount = new Map<number, { rate: number[]; cores: number[] }>();
  for (let round = 0; round < settings.scaleRounds; round += 1) {
    const order = round % 2 === 0 ? settings.scaleWorkers : [...settings.scaleWorkers].reverse();
    for (const k of order) {
      const workers = await startWorkers(stack, k, { WORKER_CONCURRENCY: '1', DUCKDB_THREADS: '1' });
      try {
        const jobs = settings.scaleJobsPerWorker * k;
        await stack.serviceQueue.pause();
        await submitRuns(ctx, mediumQuery, jobs);
        const result = await timeDrain(stack.serviceQueue, jobs, [
          ...workers.map((w) => w.pid),
          stack.redisPid,
        ]);
        const entry = byCount.get(k) ?? { rate: [], cores: [] };
        entry.rate.push(result.jobsPerSec);
        entry.cores.push(result.cores);
        byCount.set(k, entry);
        ctx.log(
          `scale: ${k} worker(s) ${result.jobsPerSec.toFixed(1)} jobs/s on ${result.cores.toFixed(2)} cores`,
        );
      } finally {
        await stopAll(workers);
      }
    }
  }
  await stack.serviceQueue.resume();
  return {
    id: 'scale-workers',
    pair: 7,
    title: 'CPU-bound medium query by worker processes',
    xLabel: 'worker processes',
    yLabel: 'jobs/s',
    points: settings.scaleWorkers.map((k) => ({
      x: k,
      y: spread(byCount.get(k)?.rate ?? []),
      cores: spread(byCount.get(k)?.cores ?? []),
    })),
    note: `${settings.mediumRows.toLocaleString('en')} rows, GROUP BY product (100,000 groups) top 10; ${settings.scaleJobsPerWorker} jobs per worker per round; cores = CPU used by the workers and Redis`,
  };
}
