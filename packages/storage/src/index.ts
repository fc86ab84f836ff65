/**
 * @repo/storage — the file store: datasets and large results, on this machine or in S3.
 *
 * Layout. Objects are named by relative keys such as `tenants/acme/datasets/ds_1.parquet`
 * (`[A-Za-z0-9._-]` segments joined by `/`; no `..`, no leading `/`, no empty segment; see
 * ./object-key.ts). The same key is
 * - with OBJECT_STORE_URL unset, the file `<DATA_DIR>/<key>` (LocalObjectStore): the layout the
 *   services used before this package, readable in place by DuckDB (`localPathOf`);
 * - with OBJECT_STORE_URL=`s3://bucket/prefix`, the object `<prefix>/<key>` in that bucket
 *   (S3ObjectStore; S3_ENDPOINT and S3_FORCE_PATH_STYLE for compatible servers; region and
 *   credentials from the AWS SDK's default chains). DATA_DIR then only holds each process's
 *   own caches, e.g. the workers' DatasetCache under `<DATA_DIR>/dataset-cache`.
 *
 * Choices.
 * - One TypeScript interface (ObjectStore) and one contract test suite for both backends;
 *   callers ask `localPathOf(key)` rather than the backend's kind when they want a path.
 * - One error type, StorageError, with one notion of "missing" (`isMissing`: ENOENT and S3's
 *   NoSuchKey/NotFound/404 alike) and one of "try again later" (`unavailable`: network errors,
 *   timeouts, 5xx, throttling). Messages never hold local paths, endpoints or credentials.
 *   Aborts reject with the AbortSignal's reason, as Node's own APIs do.
 * - Writes are all-or-nothing: a temporary file and a rename locally; lib-storage's Upload on S3
 *   (multipart above the part size, CRC32 checksums, the multipart upload aborted on failure).
 * - S3 requests have bounded connection and idle timeouts and a bounded number of attempts, so a
 *   dead or hung endpoint fails as `unavailable` within seconds instead of hanging a job.
 * - The package knows nothing of HTTP, BullMQ or DuckDB; it reads no environment itself
 *   (createObjectStore takes the parsed config from @repo/config).
 */

export { createObjectStore, type ObjectStoreConfig, type S3Tuning } from './create-object-store';
export {
  DatasetCache,
  type DatasetCacheOptions,
  type DatasetCacheUsage,
  type DatasetLease,
} from './dataset-cache';
export { LocalObjectStore } from './local-object-store';
export { assertValidKey, assertValidPrefix, isValidKey, MAX_KEY_LENGTH } from './object-key';
export type {
  ListedObject,
  ObjectInfo,
  ObjectStore,
  PresignOptions,
  ReadStreamOptions,
  StorageKind,
  TransferOptions,
} from './object-store';
export { type DatasetCacheConfig, datasetCacheDir, openDatasetCache } from './open-dataset-cache';
export { parseObjectStoreUrl, type S3Location } from './s3-location';
export { S3_DEFAULTS, S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store';
export { isMissing, isUnavailable, StorageError, type StorageErrorCode } from './storage-error';
