import type { Config } from '@repo/config';
import type { SandboxedEngine } from '@repo/engine';
import type { QueryQueue, RedisClient } from '@repo/queue';
import type { DatasetCache, ObjectStore } from '@repo/storage';
import type { QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import type { JobEventHub } from './routes/jobs/job-event-hub';
import type { ApiKeyStore } from './stores/api-key-store';
import type { DatasetRecord } from './stores/dataset-store';
import type { IdempotencyStore } from './stores/idempotency-store';
import type { QueryRecord } from './stores/query-store';
import type { TenantQuotas } from './stores/tenant-quota-store';
import type { TenantRecordStore } from './stores/tenant-record-store';
import type { ApiMetrics } from './telemetry/api-metrics';

/** Everything the app needs, built by main.ts (or a test) and handed to createApp. */
export interface AppDeps {
  config: Config;
  logger: Logger;
  /** Fail-fast connection for request-path commands. */
  redis: RedisClient;
  queue: QueryQueue;
  queueEvents: QueueEvents;
  engine: SandboxedEngine;
  /** Where datasets and large results live: DATA_DIR, or a bucket (OBJECT_STORE_URL). */
  store: ObjectStore;
  /**
   * Local copies of stored files for DuckDB to read (save-time checks, result pages); with the
   * local store, the files themselves.
   */
  cache: DatasetCache;
  datasets: TenantRecordStore<DatasetRecord>;
  queries: TenantRecordStore<QueryRecord>;
  idempotency: IdempotencyStore;
  /** Managed API keys (`npm run keys`). */
  apiKeys: ApiKeyStore;
  /** Per-tenant quotas: active jobs, dataset bytes. */
  quotas: TenantQuotas;
  metrics: ApiMetrics;
  /** The one QueueEvents stream, fanned out to SSE streams by job id. */
  jobEvents: JobEventHub;
}
