import { mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dataLayout, jobKey, type RedisClient } from '@repo/queue';
import type { Logger } from 'pino';

const PARQUET = /^([A-Za-z0-9_-]+)\.parquet$/;

/** The tenant a stored dataset record or job names, or null. */
async function tenantOf(redis: RedisClient, key: string, field?: string): Promise<string | null> {
  const raw = field === undefined ? await redis.get(key) : await redis.hget(key, field);
  if (raw === null) return null;
  try {
    const tenant = (JSON.parse(raw) as { tenant?: unknown }).tenant;
    return typeof tenant === 'string' ? tenant : null;
  } catch {
    return null;
  }
}

/**
 * Moves files from the layout before tenants had folders of their own (`datasets/<id>.parquet`,
 * `results/<job>.parquet`, every tenant's side by side) into each owner's folder, found from
 * the dataset's record or the job's payload. Run by every API at start: idempotent, and a file
 * another replica moved first is simply gone. A file whose owner is unknown stays where it
 * is, unreachable by any query, and is logged for the operator.
 */
export async function moveLegacyFiles(
  dataDir: string,
  redis: RedisClient,
  prefix: string,
  logger: Logger,
): Promise<{ moved: number; unowned: string[] }> {
  const kinds = [
    {
      dir: dataLayout.legacyDatasetsDir(dataDir),
      owner: (id: string) => tenantOf(redis, `${prefix}:dataset:${id}`),
      target: (tenant: string, id: string) => dataLayout.datasetFile(dataDir, tenant, id),
    },
    {
      dir: dataLayout.legacyResultsDir(dataDir),
      owner: (id: string) => tenantOf(redis, jobKey(prefix, id), 'data'),
      target: (tenant: string, id: string) => dataLayout.resultFile(dataDir, tenant, id),
    },
  ];
  let moved = 0;
  const unowned: string[] = [];
  for (const kind of kinds) {
    const names = await readdir(kind.dir).catch(() => [] as string[]);
    for (const name of names) {
      const id = PARQUET.exec(name)?.[1];
      if (id === undefined) continue;
      const tenant = await kind.owner(id);
      if (tenant === null) {
        unowned.push(join(kind.dir, name));
        continue;
      }
      const target = kind.target(tenant, id);
      await mkdir(dirname(target), { recursive: true });
      const done = await rename(join(kind.dir, name), target).then(
        () => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return false;
          throw error;
        },
      );
      if (done) moved += 1;
    }
  }
  if (moved > 0) logger.info({ moved }, 'files moved into their tenants’ folders');
  if (unowned.length > 0) {
    logger.warn(
      { files: unowned },
      'files of the old layout whose owner is unknown were left where they are',
    );
  }
  return { moved, unowned };
}
