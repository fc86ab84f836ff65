/**
 * `npm run bench`: the service against the raw engines, side by side in one run.
 * It starts its own redis-server (free loopback port), API, worker and comparison
 * processes, generates its own data, and writes bench/results/latest.json and, for a full
 * run, docs/benchmarks/{results.md,ratios.svg,scale.svg} and the table in
 * docs/benchmarks/README.md. `--quick` runs everything small (under a minute) and writes
 * to bench/results/quick/ only; it checks that the harness works, never speed.
 *
 * Options: --quick, --only=1,2,…,profile (pairs, and the CPU profiles), --no-profile.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { TJobStatus } from '@repo/contracts';
import { QUERY_QUEUE_NAME, type TRunQueryPayload } from '@repo/queue';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Context } from './lib/context';
import { runLoad } from './lib/load';
import type { Comparison, Curve } from './lib/model';
import { ROOT, runningProcesses, waitUntil } from './lib/processes';
import { startRawDuckdb } from './lib/raw-duckdb';
import { FULL, QUICK } from './lib/settings';
import {
  apiClient,
  SERVICE_PREFIX,
  startApi,
  startBare,
  startStack,
  startWorkers,
  stopAll,
} from './lib/stack';
import { aggregation, generateCsv, ingest, uploadCsv } from './pairs/data-pairs';
import { statusReadScale, statusReads, submits } from './pairs/http-pairs';
import {
  jobThroughput,
  latency,
  startRawJobsWorker,
  submitRuns,
  timeDrain,
  workerScale,
} from './pairs/job-pairs';
import { bucketAggregation } from './pairs/object-store-pairs';
import { ratiosSvg, scaleSvg } from './report/chart-svg';
import { profileMarkdown, summariseCpuProfile } from './report/cpu-profile';
import { replaceGenerated, resultsMarkdown } from './report/markdown';
import type { BenchResults, ProfileSummary } from './report/results';

const started = Date.now();
const log = (message: string) =>
  console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

function parseArgs(argv: string[]) {
  const quick = argv.includes('--quick');
  const only = argv
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',')
    .map((p) => p.trim());
  const pairs = new Set(only ? only.map(Number).filter(Number.isInteger) : [1, 2, 3, 4, 5, 6, 7, 8]);
  const profile = !quick && !argv.includes('--no-profile') && (!only || only.includes('profile'));
  return { quick, pairs, profile };
}

function versionOf(pkg: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

function redisVersion(): string {
  try {
    return execFileSync('redis-server', ['--version']).toString().trim().split(' ').slice(0, 3).join(' ');
  } catch {
    return 'redis-server (unknown version)';
  }
}

const loads = () => loadavg().map((l) => Math.round(l * 100) / 100);

/**
 * The harness's own BullMQ worker: it takes one job and holds it, so that the job reads as
 * `running` for as long as the status pairs need, without any query burning CPU meanwhile.
 */
function startHolder(redisUrl: string) {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker(
    QUERY_QUEUE_NAME,
    async (job) => {
      await job.updateProgress(42);
      await held;
      return { columns: ['n'], rows: [[0]], row_count: 1 };
    },
    { connection, prefix: SERVICE_PREFIX, concurrency: 1 },
  );
  return {
    worker,
    async stop() {
      release();
      await worker.close(true);
      connection.disconnect();
    },
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const settings = args.quick ? QUICK : FULL;
  const loadBefore = loads();
  log(
    `${args.quick ? 'quick' : 'full'} run, pairs ${[...args.pairs].join(',')}; load average ${loadBefore.join(' / ')}`,
  );
  const stack = await startStack();
  let holder: ReturnType<typeof startHolder> | null = null;
  const cleanup = async () => {
    await holder?.stop().catch(() => {});
    await Promise.all(runningProcesses().map((p) => p.stop('SIGTERM', 5_000)));
    await stack.close().catch(() => {});
    rmSync(stack.workDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    void cleanup().then(() => process.exit(130));
  });

  try {
    const [api, rawDuckdb] = await Promise.all([startApi(stack), startRawDuckdb()]);
    const client = apiClient(api);
    log(`API on ${api.url}; Redis on ${stack.redis.url}`);

    // Fixtures: a small dataset, the trivial query, a running job and a succeeded one.
    const smallCsv = join(stack.workDir, 'small.csv');
    writeFileSync(
      smallCsv,
      `region,revenue\n${['North', 'South', 'East', 'West', 'Central', 'Nordic', 'Iberia', 'Alps']
        .map((r, i) => `${r},${(i + 1) * 1000.25}`)
        .join('\n')}\n`,
    );
    const small = await uploadCsv(api.url, smallCsv, 'small');
    const trivialQuery = await client.saveQuery(
      'trivial',
      'SELECT count(*) AS n FROM dataset',
      small.datasetId,
    );
    const smallQuery = await client.saveQuery(
      'by region',
      'SELECT region, SUM(revenue) AS revenue FROM dataset GROUP BY region ORDER BY region',
      small.datasetId,
    );
    holder = startHolder(stack.redis.url);
    const runningJob = await client.runAsync(smallQuery);
    const statusOf = async (id: string) => (await client.get<TJobStatus>(`/v1/jobs/${id}`)).body;
    await waitUntil('the held job to run', async () => (await statusOf(runningJob)).status === 'running');
    await holder.worker.pause(true);
    const workers = await startWorkers(stack, 1, { WORKER_CONCURRENCY: String(settings.workerConcurrency) });
    const succeededJob = await client.runAsync(smallQuery);
    await waitUntil(
      'the small job to succeed',
      async () => (await statusOf(succeededJob)).status === 'succeeded',
    );
    const succeededBody = JSON.stringify(await statusOf(succeededJob));
    const runBody = JSON.stringify({ execution_mode: 'async' });
    const accepted = await client.post<unknown>(`/v1/query/${trivialQuery}`, { execution_mode: 'async' });
    const payload = (await stack.serviceQueue.getJob(succeededJob))?.data as TRunQueryPayload;
    const bare = await startBare(succeededBody, JSON.stringify(accepted.body));

    const ctx: Context = {
      settings,
      stack,
      api,
      client,
      bare,
      rawDuckdb,
      workers,
      ids: { smallDataset: small.datasetId, trivialQuery, runningJob, succeededJob },
      payload,
      runBody,
      log,
    };
    const comparisons: Comparison[] = [];
    const curves: Curve[] = [];

    if (args.pairs.has(1)) {
      log('pair 1: status reads');
      comparisons.push(...(await statusReads(ctx)));
    }
    if (args.pairs.has(2)) {
      log('pair 2: async submits');
      comparisons.push(...(await submits(ctx)));
    }
    if (args.pairs.has(3) || args.pairs.has(4)) {
      const rawWorker = await startRawJobsWorker(ctx);
      if (args.pairs.has(3)) {
        log('pair 3: job throughput');
        comparisons.push(...(await jobThroughput(ctx, rawWorker)));
      }
      if (args.pairs.has(4)) {
        log('pair 4: latency');
        comparisons.push(...(await latency(ctx)));
      }
      await rawWorker.stop();
    }
    if (args.pairs.has(5) || args.pairs.has(6) || args.pairs.has(8)) {
      log(`pairs 5, 6 and 8: generating ${settings.bigRows.toLocaleString('en')} rows`);
      const csv = await generateCsv(ctx, 'big', settings.bigRows);
      if (args.pairs.has(5) || args.pairs.has(6)) {
        log('pair 6: ingest');
        const ingested = await ingest(ctx, csv);
        if (args.pairs.has(6)) comparisons.push(...ingested.comparisons);
        if (args.pairs.has(5)) {
          log('pair 5: aggregation');
          comparisons.push(...(await aggregation(ctx, ingested.datasetId)));
        }
        await client.delete(`/v1/datasets/${ingested.datasetId}`);
      }
      if (args.pairs.has(8)) {
        log('pair 8: aggregation with the dataset in a bucket (s3rver)');
        comparisons.push(...(await bucketAggregation(ctx, csv)));
      }
      rmSync(csv, { force: true });
    }
    if (args.pairs.has(7)) {
      log('pair 7: scale');
      const mediumCsv = await generateCsv(ctx, 'medium', settings.mediumRows);
      const medium = await uploadCsv(api.url, mediumCsv, 'medium');
      rmSync(mediumCsv, { force: true });
      const mediumQuery = await client.saveQuery(
        'medium',
        'SELECT product, SUM(revenue) AS revenue, COUNT(*) AS n FROM dataset GROUP BY product ORDER BY revenue DESC LIMIT 10',
        medium.datasetId,
      );
      curves.push(await workerScale(ctx, mediumQuery));
      curves.push(await statusReadScale(ctx));
    }

    const profiles: ProfileSummary[] = [];
    if (args.profile) {
      const dir = join(ROOT, 'bench/results/profiles');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const targets = [
        {
          name: 'api-running',
          what: 'API, GET /v1/jobs/{id} of a running job',
          path: `/v1/jobs/${runningJob}`,
        },
        {
          name: 'api-succeeded',
          what: 'API, GET /v1/jobs/{id} of a succeeded job',
          path: `/v1/jobs/${succeededJob}`,
        },
        {
          name: 'bare-express',
          what: 'bare Express 5, constant JSON',
          path: `/v1/jobs/${succeededJob}`,
          bare: true,
        },
        {
          name: 'api-submit',
          what: 'API, POST /v1/query/{id} async',
          path: `/v1/query/${trivialQuery}`,
          post: true,
        },
      ];
      // Submits must not run while profiled: no worker is left by now, and the queue is paused.
      await stack.serviceQueue.pause();
      for (const t of targets) {
        log(`profile: ${t.what}`);
        // One folder per target: the tsx loader thread writes a profile of its own beside the
        // main thread's, and the main thread's is the larger.
        const targetDir = join(dir, t.name);
        const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', targetDir];
        const server = t.bare
          ? await startBare(succeededBody, JSON.stringify(accepted.body), nodeArgs)
          : await startApi(stack, t.name, { nodeArgs });
        const loadFromUs = Number(process.hrtime.bigint() / 1000n);
        await runLoad({
          urls: [`${server.url}${t.path}`],
          method: t.post ? 'POST' : 'GET',
          headers: t.post ? { ...client.headers, 'content-type': 'application/json' } : client.headers,
          body: t.post ? runBody : undefined,
          connections: settings.connections,
          durationSec: settings.profileSeconds,
        });
        await server.proc.stop();
        const file = readdirSync(targetDir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(targetDir, f))
          .sort((a, b) => statSync(b).size - statSync(a).size)[0];
        if (file) profiles.push(summariseCpuProfile(file, t.what, loadFromUs));
        else log(`profile of ${t.name} was not written`);
      }
      await stack.serviceQueue.drain();
      await stack.serviceQueue.resume();
    }

    if (args.profile) {
      // The worker draining trivial jobs: where a job's time goes besides BullMQ's own.
      log('profile: worker, trivial jobs');
      const dir = join(ROOT, 'bench/results/profiles/worker');
      mkdirSync(dir, { recursive: true });
      await stopAll(ctx.workers);
      ctx.workers = [];
      await stack.serviceQueue.pause();
      const jobs = settings.throughputJobs;
      await submitRuns(ctx, trivialQuery, jobs);
      const [worker] = await startWorkers(
        stack,
        1,
        { WORKER_CONCURRENCY: String(settings.workerConcurrency) },
        ['--cpu-prof', '--cpu-prof-dir', dir],
      );
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      await timeDrain(stack.serviceQueue, jobs);
      await stack.serviceQueue.resume();
      await worker?.stop();
      const file = readdirSync(dir)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => join(dir, f))
        .sort((a, b) => statSync(b).size - statSync(a).size)[0];
      if (file)
        profiles.push(
          summariseCpuProfile(file, `worker, ${jobs} trivial jobs (count(*) over 8 rows)`, fromUs),
        );
    }

    const results: BenchResults = {
      quick: settings.quick,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
      machine: {
        cpuCount: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        memoryGb: Math.round(totalmem() / 2 ** 30),
        os: `${platform()} ${release()}`,
        loadBefore,
        loadAfter: loads(),
      },
      versions: {
        node: process.versions.node,
        express: versionOf('express'),
        bullmq: versionOf('bullmq'),
        duckdb: versionOf('@duckdb/node-api'),
        ioredis: versionOf('ioredis'),
        autocannon: versionOf('autocannon'),
        redis: redisVersion(),
      },
      settings,
      comparisons,
      curves,
      profiles,
    };
    writeOutputs(results);
    for (const c of comparisons) {
      const verdict = c.target.kind === 'none' ? 'info   ' : c.met ? 'met    ' : 'NOT MET';
      log(`${verdict} pair ${c.pair} ${c.title}: ${JSON.stringify(c.measure)}`);
    }
    log(`done in ${results.seconds} s`);
  } finally {
    await cleanup();
  }
}

function writeOutputs(results: BenchResults): void {
  const table = resultsMarkdown(results);
  const caption = `${results.machine.cpuCount} cores, load ${results.machine.loadBefore[0]} → ${results.machine.loadAfter[0]}; ${results.finishedAt.slice(0, 10)}${results.quick ? ' (quick)' : ''}`;
  const profiles = results.profiles.map(profileMarkdown).join('\n');
  const outDir = results.quick ? join(ROOT, 'bench/results/quick') : join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  const docsDir = results.quick ? outDir : join(ROOT, 'docs/benchmarks');
  mkdirSync(docsDir, { recursive: true });
  writeFileSync(
    join(docsDir, 'results.md'),
    `${table}${profiles ? `\n### CPU profiles\n\n${profiles}` : ''}`,
  );
  writeFileSync(join(docsDir, 'ratios.svg'), ratiosSvg(results.comparisons, caption));
  if (results.curves.length > 0) writeFileSync(join(docsDir, 'scale.svg'), scaleSvg(results.curves, caption));
  if (!results.quick) {
    const readme = join(docsDir, 'README.md');
    try {
      writeFileSync(readme, replaceGenerated(readFileSync(readme, 'utf8'), table));
    } catch {
      // No README yet: results.md has the same table.
    }
  }
  log(`wrote ${join(outDir, 'latest.json')} and ${docsDir}/{results.md,ratios.svg,scale.svg}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
