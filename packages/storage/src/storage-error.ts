/**
 * - `missing`: the object does not exist (a local ENOENT and S3's NoSuchKey/NotFound/404 alike).
 * - `unavailable`: the store could not be reached or answered "later" (network errors, timeouts,
 *   5xx, throttling, a full or busy disk); the caller answers 503 or retries.
 * - `unsupported`: the backend cannot do this at all (a presigned URL from the local store).
 * - `invalid_key`: a key or prefix outside the grammar of ./object-key.ts.
 * - `internal`: anything else (access denied, a missing bucket, a bug); retrying will not help.
 */
export type StorageErrorCode = 'missing' | 'unavailable' | 'unsupported' | 'invalid_key' | 'internal';

/**
 * Every failure the stores and the cache report. The message names at most the (validated,
 * relative) key: never a local absolute path, an endpoint or a credential, so it may be logged
 * or shown as it is. `detail` is the backend's own short code (`ENOENT`, `NoSuchKey 404`,
 * `ECONNREFUSED`) for logs; the backend's original error is deliberately not attached.
 */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;
  readonly key?: string;
  readonly detail?: string;

  constructor(code: StorageErrorCode, message: string, options?: { key?: string; detail?: string }) {
    super(message);
    this.code = code;
    if (options?.key !== undefined) this.key = options.key;
    if (options?.detail !== undefined) this.detail = options.detail;
  }
}

/** The one test for "this object does not exist", whichever backend said so. */
export function isMissing(error: unknown): boolean {
  return error instanceof StorageError && error.code === 'missing';
}

/** Transient: the caller may answer 503 or retry later. */
export function isUnavailable(error: unknown): boolean {
  return error instanceof StorageError && error.code === 'unavailable';
}

export function missingObject(key: string, detail?: string): StorageError {
  return new StorageError('missing', `Object ${key} does not exist`, {
    key,
    ...(detail === undefined ? {} : { detail }),
  });
}
