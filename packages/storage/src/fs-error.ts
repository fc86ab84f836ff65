import { missingObject, StorageError } from './storage-error';

/** Errors a retry may cure: too many open files, a full or busy disk, a flaky network mount. */
const TRANSIENT_FS_CODES = new Set([
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EBUSY',
  'ENOSPC',
  'EIO',
  'ETIMEDOUT',
  'ESTALE',
]);

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isNotFoundError(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Maps a file-system error about the object `key` to a StorageError. Node's own messages name
 * the absolute path, so only the errno code is kept (as `detail`).
 */
export function fromFsError(error: unknown, action: string, key: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = errnoCode(error) ?? 'unknown';
  if (isNotFoundError(error)) return missingObject(key, code);
  if (TRANSIENT_FS_CODES.has(code)) {
    return new StorageError('unavailable', `Could not ${action} ${key}: the disk is busy or full (${code})`, {
      key,
      detail: code,
    });
  }
  return new StorageError('internal', `Could not ${action} ${key} (${code})`, { key, detail: code });
}

/** A failure of the caller's own local file (the source of a put, the target of a get). */
export function fromCallerFileError(error: unknown, role: 'source' | 'target', key: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = errnoCode(error) ?? 'unknown';
  const what = role === 'source' ? 'read the source file for' : 'write the target file for';
  const kind = TRANSIENT_FS_CODES.has(code) ? 'unavailable' : 'internal';
  return new StorageError(kind, `Could not ${what} ${key} (${code})`, { key, detail: code });
}
