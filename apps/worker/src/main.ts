import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadConfigOrExit, logDestination } from '@repo/config';
import { createSandboxedEngine } from '@repo/engine';
import {
  announceJobEnded,
  cancelSignal,
  checkRedisPolicy,
  createQueryQueue,
  createRedisClient,
  createWebhookQueue,
  dataKeys,
  dataLayout,
  QUERY_QUEUE_NAME,
  type TRunQueryPayload,
  WEBHOOK_QUEUE_NAME,
} from '@repo/queue';
import { createObjectStore, datasetCacheDir, openDatasetCache } from '@repo/storage';
import { Worker } from 'bullmq';
import pino from 'pino';
import { announceBullmqFailures } from './announce-bullmq-failures';
import { listenForCancels } from './cancel-listener';
import { INTERRUPT_REASONS } from './processors/job-failure-error';
import { createRunQueryProcessor } from './processors/run-query.processor';
import { startRetentionSweeps } from './retention';
import { startOpsServer } from './telemetry/ops-server';
import { createWorkerMetrics } from './telemetry/worker-metrics';
import { createDeliverWebhookProcessor } from './webhooks/deliver-webhook.processor';

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = pino(
    { level: config.LOG_LEVEL, base: { app: 'worker', pid: process.pid } },
    logDestination(config.LOG_FORMAT),
  );
  // Each tenant's queries run in a sandbox process of that tenant's, kept between jobs; each
  // job gets its own connection there.
  const engine = await createSandboxedEngine({
    dataDir: config.DATA_DIR,
    tenantDirs: (tenant) => [
      dataLayout.tenantDir(config.DATA_DIR, tenant),
      join(datasetCacheDir(config.DATA_DIR), dataKeys.tenant(tenant)),
    ],
    threads: config.DUCKDB_THREADS || undefined,
    memoryLimit: config.DUCKDB_MEMORY_LIMIT || undefined,
    maxTempSize: config.DUCKDB_MAX_TEMP_SIZE || undefined,
    memoryMaxBytes: config.SANDBOX_MEMORY_MAX,
    maxProcesses: config.WORKER_SANDBOXES_MAX,
    // One progress-reporting connection per job slot.
    progressConnections: config.WORKER_CONCURRENCY,
  });
  const store = createObjectStore(config);
  const cache = await openDatasetCache(store, config);
  const onRedisError = (error: Error) => logger.warn({ err: error.message }, 'redis connection error');
  // Workers wait for Redis rather than fail: every connection here is of the patient kind.
  const connection = createRedisClient(config, 'blocking', onRedisError);
  const subscriber = createRedisClient(config, 'blocking', onRedisError);
  const queue = createQueryQueue(connection, config.QUEUE_PREFIX);
  const metrics = createWorkerMetrics();
  const webhooks = createWebhookQueue(connection, config.QUEUE_PREFIX);
  const policy = await checkRedisPolicy(connection).catch(() => null);
  for (const warning of policy?.warnings ?? []) {
    logger.warn({ maxmemoryPolicy: policy?.maxmemoryPolicy, appendonly: policy?.appendonly }, warning);
  }

  // A job's end (webhooks, batches) is announced by the processor, or for the jobs BullMQ
  // fails by itself, by announceBullmqFailures.
  const announce = (jobId: string, payload: TRunQueryPayload) =>
    announceJobEnded(connection, webhooks, config, jobId, payload);
  const workerName = `${hostname()}:${process.pid}`;
  const worker = new Worker(
    QUERY_QUEUE_NAME,
    createRunQueryProcessor({
      config,
      engine,
      store,
      cache,
      redis: connection,
      logger,
      isCancelRequested: (jobId) => cancelSignal.isRequested(connection, config.QUEUE_PREFIX, jobId),
      metrics,
      onJobEnded: announce,
    }),
    {
      connection,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      // Stored on each job it takes (BullMQ's processedBy): which process ran a job, for operators.
      name: workerName,
      // A job whose worker died is given to another after its lock lapses and a stall check runs.
      lockDuration: config.WORKER_LOCK_DURATION_MS,
      stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
    },
  );
  worker.on('error', (error) => logger.error({ err: error.message }, 'worker error'));
  announceBullmqFailures(worker, announce, logger);
  // Webhook deliveries are jobs of their own, retried with backoff, beside the queries.
  const webhookWorker = new Worker(
    WEBHOOK_QUEUE_NAME,
    createDeliverWebhookProcessor({ config, redis: connection, logger }),
    { connection, prefix: config.QUEUE_PREFIX, concurrency: 4 },
  );
  webhookWorker.on('error', (error) => logger.error({ err: error.message }, 'webhook worker error'));
  await listenForCancels(subscriber, config.QUEUE_PREFIX, worker, logger);
  const stopSweeps = startRetentionSweeps(config, connection, queue, store, logger);
  await worker.waitUntilReady();
  const ops =
    config.WORKER_METRICS_PORT === undefined
      ? null
      : await startOpsServer({
          host: config.WORKER_METRICS_HOST,
          port: config.WORKER_METRICS_PORT,
          registry: metrics.registry,
          redis: connection,
        });
  logger.info(
    {
      concurrency: config.WORKER_CONCURRENCY,
      // What DuckDB itself reports: operators see the limits and the sandbox actually in force.
      duckdb: await engine.describeSettings(),
      queue: QUERY_QUEUE_NAME,
      name: workerName,
      ...(ops ? { metrics: `http://${config.WORKER_METRICS_HOST}:${ops.port}/metrics` } : {}),
    },
    'worker ready',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.WORKER_SHUTDOWN_GRACE_MS }, 'shutting down: taking no new jobs');
    // Past the grace period, running jobs are interrupted and handed back to the queue.
    const grace = setTimeout(
      () => worker.cancelAllJobs(INTERRUPT_REASONS.shutdown),
      config.WORKER_SHUTDOWN_GRACE_MS,
    );
    await Promise.all([worker.close(), webhookWorker.close()]);
    clearTimeout(grace);
    await stopSweeps();
    ops?.server.close();
    await Promise.all([queue.close(), webhooks.close()]);
    await engine.close();
    store.close();
    subscriber.disconnect();
    connection.disconnect();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
