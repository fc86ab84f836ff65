import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '@repo/config';
import { newId } from '@repo/contracts';
import { createEngine } from '@repo/engine';
import {
  createQueryQueue,
  createRedisClient,
  dataLayout,
  type QueryQueue,
  RUN_QUERY_JOB_NAME,
  runQueryJobOptions,
  type TRunQueryPayload,
} from '@repo/queue';
import { makeTestEnv } from '@repo/test-utils';

/**
 * A test file's own key prefix, data folder and query queue on the test run's Redis (the
 * environment overridden by `overrides`), emptied and closed after the file's tests.
 */
export function useTestQueue(overrides: Record<string, string> = {}) {
  const testEnv = makeTestEnv(overrides);
  const redis = createRedisClient(testEnv.config, 'request', () => undefined);
  const queue = createQueryQueue(redis, testEnv.prefix);
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });
  return { testEnv, redis, queue };
}

/**
 * A dataset stored as the API would store it (the engine's ingest, in the tenant's folder),
 * without the API. The tenant is enqueueRun's unless said otherwise.
 */
export async function storeDataset(dataDir: string, csv: string, tenant = 'acme'): Promise<string> {
  const datasetId = newId('dataset');
  const source = join(dataDir, `${datasetId}.csv`);
  await writeFile(source, csv);
  await mkdir(dataLayout.datasetsDir(dataDir, tenant), { recursive: true });
  const engine = await createEngine({ dataDir, progressConnections: 0 });
  try {
    await engine.ingest({
      sourcePath: source,
      format: 'csv',
      targetPath: dataLayout.datasetFile(dataDir, tenant, datasetId),
    });
  } finally {
    await engine.close();
  }
  return datasetId;
}

/** A run of `sql` queued as the API would queue it; resolves with its job id. */
export async function enqueueRun(
  queue: QueryQueue,
  config: Pick<Config, 'JOB_ATTEMPTS'>,
  datasetId: string,
  sql: string,
  extra: Partial<TRunQueryPayload> = {},
): Promise<string> {
  const payload: TRunQueryPayload = {
    tenant: 'acme',
    query_id: newId('query'),
    dataset_id: datasetId,
    sql,
    params: {},
    execution_mode: 'async',
    priority: 'interactive',
    timeout_ms: 120_000,
    ...extra,
  };
  const jobId = newId('job');
  await queue.add(RUN_QUERY_JOB_NAME, payload, runQueryJobOptions(config, jobId, 'interactive', Date.now()));
  return jobId;
}
