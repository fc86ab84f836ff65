import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Files are written under a temporary name in the destination's own folder (so the final
 * rename is atomic: same file system) and renamed into place once complete and flushed.
 * Temporary names start with `~`, a character no key may contain: listings skip them and the
 * dataset cache deletes leftovers at start-up.
 */
export const TEMP_MARK = '~';

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_MARK);
}

export function tempPathFor(path: string): string {
  return join(dirname(path), `${TEMP_MARK}${randomBytes(6).toString('hex')}.${basename(path)}.partial`);
}

/**
 * Runs `write(tempPath)`, flushes the file to disk and renames it to `path`. On any failure,
 * or when `signal` fired before the rename, the temporary file is removed and `path` is left as
 * it was.
 */
export async function writeFileAtomically(
  path: string,
  write: (tempPath: string) => Promise<void>,
  options?: { signal?: AbortSignal | undefined },
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tempPath = tempPathFor(path);
  try {
    await write(tempPath);
    await flushToDisk(tempPath);
    options?.signal?.throwIfAborted();
    await rename(tempPath, path);
  } catch (error) {
    await rm(tempPath, { force: true }).catch(() => {});
    throw error;
  }
}

/** Without it a crash soon after the rename can leave an empty file under the final name. */
async function flushToDisk(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
