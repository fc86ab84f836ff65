import type { Dirent } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { type FileHandle, open, readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abortReason } from './abort';
import { checkRange, clampRange, emptyStream, withMappedErrors } from './byte-range';
import { fromCallerFileError, fromFsError, isNotFoundError } from './fs-error';
import { assertValidKey, assertValidPrefix, isKeySegment } from './object-key';
import type {
  ListedObject,
  ObjectInfo,
  ObjectStore,
  ReadStreamOptions,
  TransferOptions,
} from './object-store';
import { missingObject, StorageError } from './storage-error';
import { writeFileAtomically } from './temp-file';

/** Deletes run this many at a time: enough to hide latency, few enough to spare file handles. */
const DELETE_CONCURRENCY = 16;

/**
 * Objects as files under one root folder: key `a/b/c.parquet` is `<root>/a/b/c.parquet`, so
 * with DATA_DIR as the root the layout is the one the services used before this package.
 * Writes go through a temporary file and a rename (atomic), folders are made as needed.
 * Empty folders left by deletes are not removed: they cost nothing and removing them would
 * race with a concurrent write into the same folder.
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const;
  readonly root: string;

  constructor(root: string) {
    if (!isAbsolute(root)) throw new Error('LocalObjectStore needs an absolute root folder');
    this.root = root;
  }

  localPathOf(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }

  async putFile(key: string, localPath: string, options?: TransferOptions): Promise<ObjectInfo> {
    const target = this.localPathOf(key);
    const signal = options?.signal;
    signal?.throwIfAborted();
    let source: FileHandle;
    try {
      source = await open(localPath, 'r');
    } catch (error) {
      throw fromCallerFileError(error, 'source', key);
    }
    try {
      await writeFileAtomically(
        target,
        (tempPath) =>
          pipeline(source.createReadStream({ autoClose: false }), createWriteStream(tempPath), { signal }),
        { signal },
      );
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw fromFsError(error, 'store', key);
    } finally {
      await source.close().catch(() => {});
    }
    return this.infoOrThrow(key);
  }

  async getToFile(key: string, localPath: string, options?: TransferOptions): Promise<ObjectInfo> {
    const signal = options?.signal;
    signal?.throwIfAborted();
    const source = await this.openObject(key);
    try {
      const info = toInfo(await source.stat({ bigint: true }));
      await writeFileAtomically(
        localPath,
        (tempPath) =>
          pipeline(source.createReadStream({ autoClose: false }), createWriteStream(tempPath), { signal }),
        { signal },
      );
      return info;
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw fromCallerFileError(error, 'target', key);
    } finally {
      await source.close().catch(() => {});
    }
  }

  async getRange(
    key: string,
    start: number,
    endInclusive: number,
    options?: TransferOptions,
  ): Promise<Buffer> {
    checkRange(start, endInclusive);
    options?.signal?.throwIfAborted();
    const handle = await this.openObject(key);
    try {
      const { size } = await handle.stat();
      const range = clampRange(size, start, endInclusive);
      if (!range) return Buffer.alloc(0);
      const buffer = Buffer.alloc(range.end - range.start + 1);
      let filled = 0;
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, range.start + filled);
        if (bytesRead === 0) break; // truncated under us: return what exists
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } catch (error) {
      throw fromFsError(error, 'read', key);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  async createReadStream(key: string, options?: ReadStreamOptions): Promise<Readable> {
    const start = options?.start ?? 0;
    checkRange(start, options?.end);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const handle = await this.openObject(key);
    let range: { start: number; end: number } | null;
    try {
      range = clampRange((await handle.stat()).size, start, options?.end);
    } catch (error) {
      await handle.close().catch(() => {});
      throw fromFsError(error, 'read', key);
    }
    if (!range) {
      await handle.close().catch(() => {});
      return emptyStream();
    }
    const stream = handle.createReadStream({ start: range.start, end: range.end });
    if (signal) addAbortSignal(signal, stream);
    return withMappedErrors(stream, (error) =>
      signal?.aborted ? abortReason(signal) : fromFsError(error, 'read', key),
    );
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const path = this.localPathOf(key);
    try {
      const stats = await stat(path, { bigint: true });
      return stats.isFile() ? toInfo(stats) : null;
    } catch (error) {
      if (isNotFoundError(error)) return null;
      throw fromFsError(error, 'inspect', key);
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.localPathOf(key);
    try {
      // Not rm({recursive}): a key that happens to be a folder must not take its contents along.
      await rm(path, { force: true });
    } catch (error) {
      throw fromFsError(error, 'delete', key);
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) assertValidKey(key);
    for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
      await Promise.all(keys.slice(i, i + DELETE_CONCURRENCY).map((key) => this.delete(key)));
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    if (prefix === '') throw new StorageError('invalid_key', 'deletePrefix needs a non-empty prefix');
    const keys: string[] = [];
    for await (const object of this.list(prefix)) keys.push(object.key);
    await this.deleteMany(keys);
    return keys.length;
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    assertValidPrefix(prefix);
    // Walk only the deepest folder that can hold matches: `a/b/c` → folder `a/b`.
    const slash = prefix.lastIndexOf('/');
    yield* this.walk(slash === -1 ? '' : prefix.slice(0, slash), prefix);
  }

  async presignGet(key: string): Promise<string> {
    assertValidKey(key);
    throw new StorageError(
      'unsupported',
      'The local file store cannot make presigned URLs; serve the file instead',
    );
  }

  close(): void {}

  private async *walk(folderKey: string, prefix: string): AsyncGenerator<ListedObject> {
    let entries: Dirent[];
    try {
      entries = await readdir(folderKey === '' ? this.root : this.localPathOf(folderKey), {
        withFileTypes: true,
      });
    } catch (error) {
      if (isNotFoundError(error)) return;
      throw fromFsError(error, 'list', prefix === '' ? 'the store root' : prefix);
    }
    for (const entry of entries) {
      // Temporary files (`~…`) and anything else no key can name stay invisible.
      if (!isKeySegment(entry.name)) continue;
      const key = folderKey === '' ? entry.name : `${folderKey}/${entry.name}`;
      if (entry.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        const info = await this.head(key);
        if (info) yield { key, ...info }; // null: deleted since readdir
      }
    }
  }

  private async openObject(key: string): Promise<FileHandle> {
    const path = this.localPathOf(key);
    try {
      const handle = await open(path, 'r');
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        throw missingObject(key, 'EISDIR');
      }
      return handle;
    } catch (error) {
      throw fromFsError(error, 'read', key);
    }
  }

  private async infoOrThrow(key: string): Promise<ObjectInfo> {
    const info = await this.head(key);
    if (!info) throw missingObject(key);
    return info;
  }
}

/** Size and modification time (ns) identify a version of a file well enough for a cache. */
function toInfo(stats: { size: bigint; mtimeNs: bigint }): ObjectInfo {
  return { size: Number(stats.size), etag: `${stats.size.toString(16)}-${stats.mtimeNs.toString(16)}` };
}
