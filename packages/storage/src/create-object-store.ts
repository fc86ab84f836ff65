import type { Config } from '@repo/config';
import { LocalObjectStore } from './local-object-store';
import type { ObjectStore } from './object-store';
import { parseObjectStoreUrl } from './s3-location';
import { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store';

export type ObjectStoreConfig = Pick<
  Config,
  'DATA_DIR' | 'OBJECT_STORE_URL' | 'S3_ENDPOINT' | 'S3_FORCE_PATH_STYLE'
>;

/** What the environment does not say: tests pass credentials, small parts, short timeouts. */
export type S3Tuning = Omit<S3ObjectStoreOptions, 'bucket' | 'prefix' | 'endpoint' | 'forcePathStyle'>;

/**
 * OBJECT_STORE_URL unset: the local store rooted at DATA_DIR (one machine or a shared volume).
 * Set (`s3://bucket/prefix`): the S3 store, with S3_ENDPOINT and S3_FORCE_PATH_STYLE; region
 * and credentials come from the AWS SDK's default chains.
 */
export function createObjectStore(config: ObjectStoreConfig, s3Tuning?: S3Tuning): ObjectStore {
  if (config.OBJECT_STORE_URL === undefined) return new LocalObjectStore(config.DATA_DIR);
  const { bucket, prefix } = parseObjectStoreUrl(config.OBJECT_STORE_URL);
  return new S3ObjectStore({
    ...s3Tuning,
    bucket,
    prefix,
    ...(config.S3_ENDPOINT === undefined ? {} : { endpoint: config.S3_ENDPOINT }),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  });
}
