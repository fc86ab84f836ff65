import { join } from 'node:path';
import type { Config } from '@repo/config';
import { DatasetCache } from './dataset-cache';
import type { ObjectStore } from './object-store';

export type DatasetCacheConfig = Pick<Config, 'DATA_DIR' | 'DATASET_CACHE_MAX_BYTES'>;

/** Where a process keeps its copies: in its own DATA_DIR (with an S3 store, DATA_DIR holds only caches). */
export function datasetCacheDir(dataDir: string): string {
  return join(dataDir, 'dataset-cache');
}

/** The workers' cache as configured (DATASET_CACHE_MAX_BYTES); in place for the local store. */
export function openDatasetCache(store: ObjectStore, config: DatasetCacheConfig): Promise<DatasetCache> {
  return DatasetCache.open(store, {
    dir: datasetCacheDir(config.DATA_DIR),
    maxBytes: config.DATASET_CACHE_MAX_BYTES,
  });
}
