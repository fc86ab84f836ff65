import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { raceAbort } from './abort';
import { copyPathOf, removeCopyFiles, scanCacheDir, writeCopyMeta } from './cache-files';
import { fromCallerFileError } from './fs-error';
import { KeyedSerialQueue } from './keyed-serial-queue';
import { assertValidKey } from './object-key';
import type { ObjectStore, TransferOptions } from './object-store';
import { missingObject, StorageError } from './storage-error';
import { tempPathFor } from './temp-file';

/** A local file for one object, valid (never evicted or replaced) until `release()`. */
export interface DatasetLease {
  readonly key: string;
  readonly path: string;
  readonly size: number;
  /** Idempotent. After it the file may be evicted at any time. */
  release(): void;
}

export interface DatasetCacheOptions {
  /** This process's own folder for copies (absolute); unused when the store is local. */
  dir: string;
  /** Copies beyond this total are evicted, least recently used first, unless leased. */
  maxBytes: number;
}

export interface DatasetCacheUsage {
  bytes: number;
  files: number;
  leased: number;
}

interface CachedCopy {
  readonly key: string;
  readonly path: string;
  readonly size: number;
  etag: string;
  pins: number;
  /**
   * Known good. False when a restart found its metadata doubtful, or its file was found changed:
   * then checked against the store (size, ETag) before its next use.
   */
  trusted: boolean;
  /** forget() came while it was leased: deleted at the last release; `gone` resolves then. */
  forgotten: { gone: Promise<void>; done: () => void } | null;
}

interface SharedFetch {
  promise: Promise<CachedCopy>;
  waiters: number;
  controller: AbortController;
}

/**
 * The workers' local copies of objects (datasets) for DuckDB to read.
 *
 * - On a store with local paths (the local store), `ensureLocal` hands out the object's own
 *   file: no copy, no accounting.
 * - Otherwise it downloads the object once into `dir` — callers asking concurrently share one
 *   download (which is aborted only when all of them have given up) — and keeps it, evicting
 *   the least recently used copies once their total passes `maxBytes`. A leased copy is never
 *   evicted, so the total may exceed the budget while leases are held.
 * - Objects are treated as immutable under their key (ids are never reused): a copy whose
 *   metadata is intact is used without asking the store. Call `forget` when one is deleted.
 * - State survives a restart: `open` rebuilds the index from the folder, deletes partial
 *   downloads, and marks copies without intact metadata to be checked (size and ETag, by
 *   `head`) before their first use. The folder must belong to one process at a time.
 *
 * Eviction runs after the current turn of the event loop (setImmediate): a finished download's
 * waiters pin it before any eviction can consider it.
 */
export class DatasetCache {
  private readonly copies = new Map<string, CachedCopy>(); // iteration order: least recently used first
  private readonly fetches = new Map<string, SharedFetch>();
  private readonly queue = new KeyedSerialQueue();
  private bytes = 0;
  private evictionTimer: NodeJS.Immediate | undefined;

  private constructor(
    private readonly store: ObjectStore,
    private readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  static async open(store: ObjectStore, options: DatasetCacheOptions): Promise<DatasetCache> {
    if (!isAbsolute(options.dir)) throw new Error('DatasetCache needs an absolute folder');
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) {
      throw new RangeError('maxBytes must be a whole number >= 0');
    }
    const cache = new DatasetCache(store, options.dir, options.maxBytes);
    await mkdir(options.dir, { recursive: true });
    for (const found of await scanCacheDir(options.dir)) {
      cache.copies.set(found.key, { ...found, pins: 0, forgotten: null });
      cache.bytes += found.size;
    }
    cache.scheduleEviction();
    return cache;
  }

  /** A local file holding the object `key`; a missing object rejects with `missing`. */
  async ensureLocal(key: string, options?: TransferOptions): Promise<DatasetLease> {
    assertValidKey(key);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const ownFile = this.store.localPathOf(key);
    if (ownFile !== null) {
      const info = await this.store.head(key);
      if (!info) throw missingObject(key);
      return { key, path: ownFile, size: info.size, release: () => {} };
    }
    for (;;) {
      const cached = this.copies.get(key);
      if (cached?.trusted && !cached.forgotten) {
        const lease = this.lease(cached); // pinned before the await: nothing evicts it meanwhile
        if (await hasSize(cached.path, cached.size)) return lease;
        // Deleted or cut short behind the cache's back: check it like a doubtful copy.
        cached.trusted = false;
        lease.release();
        continue;
      }
      const fetched = await this.fetchShared(key, signal);
      // Evicted or forgotten between the fetch and now (rare): go round again.
      if (this.copies.get(key) === fetched && fetched.trusted && !fetched.forgotten)
        return this.lease(fetched);
    }
  }

  /** Runs `use` with the local path of `key`, holding the lease until it settles. */
  async withLocal<T>(key: string, use: (path: string) => Promise<T>, options?: TransferOptions): Promise<T> {
    const lease = await this.ensureLocal(key, options);
    try {
      return await use(lease.path);
    } finally {
      lease.release();
    }
  }

  /** Drops the copy of a deleted object (at once, or at the last release if it is leased). */
  async forget(key: string): Promise<void> {
    assertValidKey(key);
    if (this.store.localPathOf(key) !== null) return;
    await this.queue.run(key, async () => {
      const copy = this.copies.get(key);
      if (!copy) return removeCopyFiles(copyPathOf(this.dir, key));
      if (copy.forgotten) return;
      if (copy.pins > 0) {
        let done = () => {};
        const gone = new Promise<void>((resolve) => {
          done = resolve;
        });
        copy.forgotten = { gone, done };
        return;
      }
      this.drop(copy);
      await removeCopyFiles(copy.path);
    });
  }

  usage(): DatasetCacheUsage {
    let leased = 0;
    for (const copy of this.copies.values()) if (copy.pins > 0) leased += 1;
    return { bytes: this.bytes, files: this.copies.size, leased };
  }

  /** Resolves once no download, eviction or removal is under way (shutdown, tests). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.evictionTimer) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      const pending = this.queue.pending();
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  private lease(copy: CachedCopy): DatasetLease {
    copy.pins += 1;
    this.copies.delete(copy.key); // re-inserted last: most recently used
    this.copies.set(copy.key, copy);
    let released = false;
    return {
      key: copy.key,
      path: copy.path,
      size: copy.size,
      release: () => {
        if (released) return;
        released = true;
        this.unpin(copy);
      },
    };
  }

  private unpin(copy: CachedCopy): void {
    copy.pins -= 1;
    if (copy.pins > 0) return;
    const { forgotten } = copy;
    if (!forgotten) {
      this.scheduleEviction();
      return;
    }
    // The key's queue is held by a fetch waiting on `gone` (if any): remove directly.
    this.drop(copy);
    void removeCopyFiles(copy.path)
      .catch(() => {}) // a leftover is indexed again at the next start and evicted or reused
      .finally(forgotten.done);
  }

  /** Out of the index now, its files removed in the key's queue (after any running fetch). */
  private discard(copy: CachedCopy): void {
    if (copy.pins > 0 || copy.forgotten || this.copies.get(copy.key) !== copy) return;
    this.drop(copy);
    void this.queue.run(copy.key, () => removeCopyFiles(copy.path)).catch(() => {});
  }

  private drop(copy: CachedCopy): void {
    if (this.copies.get(copy.key) !== copy) return;
    this.copies.delete(copy.key);
    this.bytes -= copy.size;
  }

  /** One fetch per key at a time, shared by its callers; aborted when the last one gives up. */
  private fetchShared(key: string, signal: AbortSignal | undefined): Promise<CachedCopy> {
    let shared = this.fetches.get(key);
    if (!shared) {
      const controller = new AbortController();
      const promise = this.queue.run(key, () => this.fetch(key, controller.signal));
      const started: SharedFetch = { promise, waiters: 0, controller };
      const settled = () => {
        if (this.fetches.get(key) === started) this.fetches.delete(key);
      };
      promise.then(settled, settled);
      this.fetches.set(key, started);
      shared = started;
    }
    const joined = shared;
    joined.waiters += 1;
    return raceAbort(joined.promise, signal).catch((error: unknown) => {
      if (signal?.aborted) {
        joined.waiters -= 1;
        if (joined.waiters === 0) {
          joined.controller.abort();
          // Newcomers start afresh; the queue runs them after this one has cleaned up.
          if (this.fetches.get(key) === joined) this.fetches.delete(key);
        }
      }
      throw error;
    });
  }

  /** Runs in the key's queue: nothing else touches this key's files meanwhile. */
  private async fetch(key: string, signal: AbortSignal): Promise<CachedCopy> {
    let copy = this.copies.get(key);
    if (copy?.forgotten) {
      await raceAbort(copy.forgotten.gone, signal);
      copy = this.copies.get(key);
    }
    if (copy?.trusted) return copy;
    if (copy) {
      // A file that no longer has its recorded size is fetched again without asking first.
      const info = (await hasSize(copy.path, copy.size)) ? await this.store.head(key) : undefined;
      if (info && info.size === copy.size && (copy.etag === '' || copy.etag === info.etag)) {
        copy.etag = info.etag;
        copy.trusted = true;
        await writeCopyMeta(copy.path, { key, ...info }).catch(() => {}); // next start checks again
        return copy;
      }
      this.drop(copy);
      await removeCopyFiles(copy.path);
      if (info === null) throw missingObject(key);
    }
    return this.download(key, signal);
  }

  private async download(key: string, signal: AbortSignal): Promise<CachedCopy> {
    const path = copyPathOf(this.dir, key);
    // Downloaded under a temporary name, metadata written, then renamed: see ./cache-files.ts.
    const tempPath = tempPathFor(path);
    let info: { size: number; etag: string };
    try {
      await mkdir(dirname(path), { recursive: true });
      info = await this.store.getToFile(key, tempPath, { signal });
      await writeCopyMeta(path, { key, ...info });
      signal.throwIfAborted();
      await rename(tempPath, path);
    } catch (error) {
      await rm(tempPath, { force: true }).catch(() => {});
      throw error instanceof StorageError || signal.aborted
        ? error
        : fromCallerFileError(error, 'target', key);
    }
    const copy: CachedCopy = {
      key,
      path,
      size: info.size,
      etag: info.etag,
      pins: 0,
      trusted: true,
      forgotten: null,
    };
    this.copies.set(key, copy);
    this.bytes += copy.size;
    this.scheduleEviction();
    return copy;
  }

  private scheduleEviction(): void {
    if (this.bytes <= this.maxBytes || this.evictionTimer) return;
    this.evictionTimer = setImmediate(() => {
      this.evictionTimer = undefined;
      this.evict();
    });
  }

  private evict(): void {
    for (const copy of this.copies.values()) {
      if (this.bytes <= this.maxBytes) return;
      this.discard(copy);
    }
  }
}

async function hasSize(path: string, size: number): Promise<boolean> {
  try {
    return (await stat(path)).size === size;
  } catch {
    return false;
  }
}
