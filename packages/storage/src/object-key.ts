import { StorageError } from './storage-error';

/**
 * Keys are relative, `/`-separated paths such as `tenants/acme/datasets/ds_1.parquet`. The
 * grammar is narrow on purpose: the same key must be a safe path under a local root (no `..`,
 * no absolute path, no empty segment) and a plain S3 key, and `~` is left out so that temporary
 * and metadata files (see ./temp-file.ts) can never collide with a key.
 */
const SEGMENT = /^[A-Za-z0-9._-]+$/;
export const MAX_KEY_LENGTH = 1024;
/** Leaves room in a file name (255 bytes) for the temporary-file decoration. */
export const MAX_SEGMENT_LENGTH = 200;

/** Why `segment` is not a valid key segment, or null. Never echoes the input. */
function segmentProblem(segment: string): string | null {
  if (segment === '') return 'a segment is empty (leading, trailing or doubled "/")';
  if (segment === '.' || segment === '..') return 'a segment is "." or ".."';
  if (segment.length > MAX_SEGMENT_LENGTH) return `a segment is longer than ${MAX_SEGMENT_LENGTH} characters`;
  if (!SEGMENT.test(segment)) return 'a segment has a character other than A-Z, a-z, 0-9, ".", "_" or "-"';
  return null;
}

function keyProblem(key: string): string | null {
  if (typeof key !== 'string') return 'it is not a string';
  if (key.length === 0) return 'it is empty';
  if (key.length > MAX_KEY_LENGTH) return `it is longer than ${MAX_KEY_LENGTH} characters`;
  for (const segment of key.split('/')) {
    const problem = segmentProblem(segment);
    if (problem) return problem;
  }
  return null;
}

/** Throws `invalid_key` unless `key` names an object. */
export function assertValidKey(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new StorageError('invalid_key', `Invalid object key: ${problem}`);
}

/**
 * A prefix is '' (everything), a key, or a key followed by '/'. It matches keys by plain string
 * prefix, as S3 does: `datasets/ds_1` matches `datasets/ds_1.parquet` and `datasets/ds_10.parquet`.
 */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  const problem = keyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (problem) throw new StorageError('invalid_key', `Invalid key prefix: ${problem}`);
}

export function isValidKey(key: string): boolean {
  return keyProblem(key) === null;
}

/** True for a file or folder name that a key segment can be (so not a temp or metadata file). */
export function isKeySegment(name: string): boolean {
  return segmentProblem(name) === null;
}
