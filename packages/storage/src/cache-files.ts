import type { Dirent } from 'node:fs';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isKeySegment } from './object-key';
import type { ObjectInfo } from './object-store';
import { isTempName, tempPathFor } from './temp-file';

/**
 * The dataset cache's folder mirrors keys: `<dir>/tenants/acme/datasets/ds_1.parquet`, with the
 * object's size and ETag beside it in `ds_1.parquet~meta.json`. The metadata is written before
 * the data file is renamed into place and removed after it, so a data file without metadata
 * only comes from outside (a copy made by hand, an older version): such a copy is "doubtful"
 * and checked against the store before use.
 */
const META_SUFFIX = '~meta.json';

export function copyPathOf(dir: string, key: string): string {
  return join(dir, ...key.split('/'));
}

function metaPathOf(copyPath: string): string {
  return `${copyPath}${META_SUFFIX}`;
}

interface CopyMeta extends ObjectInfo {
  key: string;
}

export async function writeCopyMeta(copyPath: string, meta: CopyMeta): Promise<void> {
  const path = metaPathOf(copyPath);
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, JSON.stringify({ key: meta.key, size: meta.size, etag: meta.etag }));
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
}

async function readCopyMeta(copyPath: string): Promise<CopyMeta | null> {
  try {
    const parsed = JSON.parse(await readFile(metaPathOf(copyPath), 'utf8')) as Partial<CopyMeta>;
    const { key, size, etag } = parsed;
    if (typeof key !== 'string' || typeof size !== 'number' || typeof etag !== 'string') return null;
    return { key, size, etag };
  } catch {
    return null;
  }
}

/** Data first: an interruption leaves at worst metadata without data, which start-up removes. */
export async function removeCopyFiles(copyPath: string): Promise<void> {
  await rm(copyPath, { force: true });
  await rm(metaPathOf(copyPath), { force: true });
}

export interface FoundCopy extends ObjectInfo {
  key: string;
  path: string;
  /** Metadata present and consistent with the file; false: check against the store first. */
  trusted: boolean;
  modifiedMs: number;
}

/**
 * What a cache folder holds after a restart, least recently written first. Deletes what an
 * interrupted run left: temporary files (downloads cut short) and metadata without data.
 */
export async function scanCacheDir(dir: string): Promise<FoundCopy[]> {
  const found: FoundCopy[] = [];
  await walk(dir, '', found);
  return found.sort((a, b) => a.modifiedMs - b.modifiedMs);
}

async function walk(folder: string, folderKey: string, found: FoundCopy[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return; // vanished or unreadable: nothing to index
  }
  const names = new Set(entries.map((entry) => entry.name));
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (isTempName(entry.name)) {
      await rm(path, { force: true, recursive: true });
    } else if (entry.name.endsWith(META_SUFFIX)) {
      if (!names.has(entry.name.slice(0, -META_SUFFIX.length))) await rm(path, { force: true });
    } else if (isKeySegment(entry.name)) {
      const key = folderKey === '' ? entry.name : `${folderKey}/${entry.name}`;
      if (entry.isDirectory()) await walk(path, key, found);
      else if (entry.isFile()) await addCopy(path, key, found);
    }
  }
}

async function addCopy(path: string, key: string, found: FoundCopy[]): Promise<void> {
  const stats = await stat(path).catch(() => null);
  if (!stats) return;
  const meta = await readCopyMeta(path);
  const trusted = meta !== null && meta.key === key && meta.size === stats.size;
  found.push({ key, path, size: stats.size, etag: meta?.etag ?? '', trusted, modifiedMs: stats.mtimeMs });
}
