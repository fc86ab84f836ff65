import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '@repo/config';
import { createSandboxedEngine } from '@repo/engine';
import {
  createQueryQueue,
  createQueryQueueEvents,
  createRedisClient,
  dataKeys,
  dataLayout,
  whenReady,
} from '@repo/queue';
import { createObjectStore, datasetCacheDir, openDatasetCache } from '@repo/storage';
import type { Logger } from 'pino';
import type { AppDeps } from './app-deps';
import { moveLegacyFiles } from './legacy-layout';
import { JobEventHub } from './routes/jobs/job-event-hub';
import { ApiKeyStore } from './stores/api-key-store';
import type { DatasetRecord } from './stores/dataset-store';
import { IdempotencyStore } from './stores/idempotency-store';
import type { QueryRecord } from './stores/query-store';
import { TenantQuotas } from './stores/tenant-quota-store';
import { TenantRecordStore } from './stores/tenant-record-store';
import { createApiMetrics } from './telemetry/api-metrics';

export interface ConnectedDeps {
  deps: AppDeps;
  /** Releases everything, last opened first. */
  close(): Promise<void>;
}

/** Opens the API's connections: one fail-fast Redis client, the queue, QueueEvents and DuckDB. */
export async function connectDeps(config: Config, logger: Logger): Promise<ConnectedDeps> {
  const onRedisError = (error: Error) => logger.warn({ err: error.message }, 'redis connection error');
  await mkdir(config.DATA_DIR, { recursive: true });
  const redis = createRedisClient(config, 'request', onRedisError);
  const blocking = createRedisClient(config, 'blocking', onRedisError);
  const queue = createQueryQueue(redis, config.QUEUE_PREFIX);
  const queueEvents = createQueryQueueEvents(blocking, config.QUEUE_PREFIX, onRedisError);
  // Uploads are converted, and saved queries bound to their dataset, in the tenant's sandbox
  // processes: neither their memory nor a tenant's SQL ever runs in a process serving requests.
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
    // An API replica's sandboxes only convert and check: idle ones go soon.
    idleMs: 30_000,
  });
  const store = createObjectStore(config);
  const cache = await openDatasetCache(store, config);
  await queueEvents.waitUntilReady();
  await whenReady(redis);
  await moveLegacyFiles(config.DATA_DIR, redis, config.QUEUE_PREFIX, logger);
  const datasets = new TenantRecordStore<DatasetRecord>(redis, config.QUEUE_PREFIX, 'dataset');
  const deps: AppDeps = {
    config,
    logger,
    redis,
    queue,
    queueEvents,
    engine,
    store,
    cache,
    datasets,
    queries: new TenantRecordStore<QueryRecord>(redis, config.QUEUE_PREFIX, 'query'),
    idempotency: new IdempotencyStore(redis, config.QUEUE_PREFIX),
    apiKeys: new ApiKeyStore(redis, config.QUEUE_PREFIX),
    quotas: new TenantQuotas(
      redis,
      config.QUEUE_PREFIX,
      {
        maxActiveJobs: config.MAX_ACTIVE_JOBS_PER_TENANT,
        maxDatasetBytes: config.MAX_DATASET_BYTES_PER_TENANT,
      },
      datasets,
    ),
    metrics: createApiMetrics(queue),
    jobEvents: new JobEventHub(queueEvents),
  };
  return {
    deps,
    /** Gracefully within 2 s; after that (Redis gone, say) the connections are simply dropped. */
    async close() {
      await engine.close();
      store.close();
      const graceful = Promise.all([queueEvents.close(), queue.close()]).catch(() => undefined);
      const closed = await Promise.race([
        graceful.then(() => true),
        new Promise<false>((resolve) => setTimeout(resolve, 2_000, false).unref()),
      ]);
      if (!closed) {
        // BullMQ's close waits for Redis; with Redis gone, drop its (duplicated) connections instead.
        for (const base of [queueEvents, queue]) {
          const client = await Promise.race([
            base.backend.client,
            new Promise<null>((r) => setTimeout(r, 500, null).unref()),
          ]);
          client?.disconnect();
        }
      }
      blocking.disconnect();
      redis.disconnect();
    },
  };
}
