import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newId } from '@repo/contracts';
import { createRedisClient, dataLayout, jobKey } from '@repo/queue';
import { makeTestEnv } from '@repo/test-utils';
import pino from 'pino';
import { moveLegacyFiles } from './legacy-layout';

describe('files of the layout before tenant folders', () => {
  const testEnv = makeTestEnv();
  const redis = createRedisClient(testEnv.config, 'request', () => undefined);
  afterAll(async () => {
    const keys = await redis.keys(`${testEnv.prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("move into their owners' folders once, and unowned ones stay put", async () => {
    const { dataDir, prefix } = testEnv;
    const datasetId = newId('dataset');
    const jobId = newId('job');
    const orphanId = newId('dataset');
    await mkdir(dataLayout.legacyDatasetsDir(dataDir), { recursive: true });
    await mkdir(dataLayout.legacyResultsDir(dataDir), { recursive: true });
    await writeFile(join(dataLayout.legacyDatasetsDir(dataDir), `${datasetId}.parquet`), 'dataset bytes');
    await writeFile(join(dataLayout.legacyDatasetsDir(dataDir), `${orphanId}.parquet`), 'orphan bytes');
    await writeFile(join(dataLayout.legacyResultsDir(dataDir), `${jobId}.parquet`), 'result bytes');
    await redis.set(
      `${prefix}:dataset:${datasetId}`,
      JSON.stringify({ tenant: 'globex', dataset_id: datasetId }),
    );
    await redis.hset(
      jobKey(prefix, jobId),
      'data',
      JSON.stringify({ tenant: 'acme', dataset_id: datasetId }),
    );

    const logger = pino({ level: 'silent' });
    const first = await moveLegacyFiles(dataDir, redis, prefix, logger);
    expect(first.moved).toBe(2);
    expect(first.unowned).toEqual([join(dataLayout.legacyDatasetsDir(dataDir), `${orphanId}.parquet`)]);
    expect(await readdir(dataLayout.datasetsDir(dataDir, 'globex'))).toEqual([`${datasetId}.parquet`]);
    expect(await readdir(dataLayout.resultsDir(dataDir, 'acme'))).toEqual([`${jobId}.parquet`]);
    expect(await readdir(dataLayout.legacyDatasetsDir(dataDir))).toEqual([`${orphanId}.parquet`]);

    // Every API runs it at start: the second run finds nothing more to do.
    expect((await moveLegacyFiles(dataDir, redis, prefix, logger)).moved).toBe(0);
  });
});
