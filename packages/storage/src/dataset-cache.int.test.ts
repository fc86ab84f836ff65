import { existsSync } from 'node:fs';
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countObjectGets, type S3TestServer, startS3TestServer } from '@repo/test-utils';
import { DatasetCache } from './dataset-cache';
import { LocalObjectStore } from './local-object-store';
import type { ObjectStore } from './object-store';
import { MiB, makeScratchDir, writeRandomFile } from './object-store-contract.fixture';
import { S3ObjectStore } from './s3-object-store';
import { isMissing } from './storage-error';

let server: S3TestServer;
let runs = 0;
beforeAll(async () => {
  server = await startS3TestServer();
});
afterAll(async () => {
  await server.stop();
});

/** Requests the server receives while `work` runs. */
async function requestsDuring(work: () => Promise<unknown>): Promise<{ gets: number; all: number }> {
  const before = server.requests.length;
  await work();
  const seen = server.requests.slice(before);
  return { gets: countObjectGets(seen), all: seen.length };
}

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name).slice(dir.length + 1))
    .sort();
}

describe('DatasetCache over S3', () => {
  let store: ObjectStore;
  let scratch: string;
  let cacheDir: string;
  const contents = new Map<string, Buffer>();

  beforeEach(async () => {
    runs += 1;
    store = new S3ObjectStore(server.storeOptions({ prefix: `cache/run-${runs}` }));
    scratch = await makeScratchDir();
    cacheDir = join(scratch, 'cache');
    for (const name of ['a', 'b', 'c']) {
      const bytes = await writeRandomFile(join(scratch, name), MiB);
      const key = `tenants/t1/datasets/${name}.parquet`;
      await store.putFile(key, join(scratch, name));
      contents.set(key, bytes);
    }
  });
  afterEach(async () => {
    store.close();
    await rm(scratch, { recursive: true, force: true });
  });

  const A = 'tenants/t1/datasets/a.parquet';
  const B = 'tenants/t1/datasets/b.parquet';
  const C = 'tenants/t1/datasets/c.parquet';

  test('cold: one download into the cache folder; warm: no request at all', async () => {
    const cache = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 100 * MiB });
    let path = '';
    const cold = await requestsDuring(async () => {
      const lease = await cache.ensureLocal(A);
      path = lease.path;
      expect(lease.size).toBe(MiB);
      lease.release();
    });
    expect(cold.gets).toBe(1);
    expect(path).toBe(join(cacheDir, 'tenants', 't1', 'datasets', 'a.parquet'));
    expect((await readFile(path)).equals(contents.get(A) as Buffer)).toBe(true);
    const warm = await requestsDuring(() => cache.withLocal(A, async (again) => expect(again).toBe(path)));
    expect(warm).toEqual({ gets: 0, all: 0 });
    expect(cache.usage()).toEqual({ bytes: MiB, files: 1, leased: 0 });
  });

  test("a copy deleted behind the cache's back is downloaded again", async () => {
    const cache = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 100 * MiB });
    const path = await cache.withLocal(A, async (local) => local);
    await rm(path);
    const seen = await requestsDuring(() =>
      cache.withLocal(A, async (local) =>
        expect((await readFile(local)).equals(contents.get(A) as Buffer)).toBe(true),
      ),
    );
    expect(seen.gets).toBe(1);
    expect(cache.usage()).toEqual({ bytes: MiB, files: 1, leased: 0 });
  });

  test('concurrent callers share one download', async () => {
    const cache = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 100 * MiB });
    let leases: Awaited<ReturnType<DatasetCache['ensureLocal']>>[] = [];
    const seen = await requestsDuring(async () => {
      leases = await Promise.all(Array.from({ length: 8 }, () => cache.ensureLocal(B)));
    });
    expect(seen.gets).toBe(1);
    expect(new Set(leases.map((lease) => lease.path)).size).toBe(1);
    expect(cache.usage().leased).toBe(1);
    for (const lease of leases) lease.release();
    expect(cache.usage().leased).toBe(0);
  });

  test('a missing object is `missing` and leaves nothing behind', async () => {
    const cache = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 100 * MiB });
    const error = await cache
      .ensureLocal('tenants/t1/datasets/nope.parquet')
      .catch((caught: unknown) => caught);
    expect(isMissing(error)).toBe(true);
    await cache.idle();
    expect(await filesUnder(cacheDir)).toEqual([]);
    expect(cache.usage()).toEqual({ bytes: 0, files: 0, leased: 0 });
  });

  test('evicts least recently used copies past maxBytes, never a leased one', async () => {
    const cache = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 2.5 * MiB });
    await cache.withLocal(A, async () => {});
    await cache.withLocal(B, async () => {});
    await cache.withLocal(A, async () => {}); // A is now more recent than B
    await cache.withLocal(C, async () => {});
    await cache.idle();
    expect(cache.usage()).toEqual({ bytes: 2 * MiB, files: 2, leased: 0 });
    expect(existsSync(join(cacheDir, ...B.split('/')))).toBe(false);
    expect(existsSync(join(cacheDir, ...A.split('/')))).toBe(true);

    // With a budget of one file, a leased copy stays (over budget) until released.
    const tight = await DatasetCache.open(store, { dir: join(scratch, 'tight'), maxBytes: MiB });
    const leaseA = await tight.ensureLocal(A);
    const leaseB = await tight.ensureLocal(B);
    await tight.idle();
    expect(tight.usage()).toEqual({ bytes: 2 * MiB, files: 2, leased: 2 });
    expect((await readFile(leaseA.path)).equals(contents.get(A) as Buffer)).toBe(true);
    leaseA.release();
    leaseA.release(); // idempotent
    await tight.idle();
    expect(existsSync(leaseA.path)).toBe(false);
    expect(existsSync(leaseB.path)).toBe(true);
    leaseB.release();
    await tight.idle();
    expect(tight.usage()).toEqual({ bytes: MiB, files: 1, leased: 0 });
  });

  test('forget removes the copy (at the last release when leased); the next call downloads again', async () => {
    const cache = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 100 * MiB });
    await cache.withLocal(A, async () => {});
    await cache.forget(A);
    expect(await filesUnder(cacheDir)).toEqual([]);
    expect((await requestsDuring(() => cache.withLocal(A, async () => {}))).gets).toBe(1);

    const lease = await cache.ensureLocal(A);
    await cache.forget(A);
    expect(existsSync(lease.path)).toBe(true); // still leased
    const next = cache.ensureLocal(A); // waits for the old copy to go, then downloads afresh
    lease.release();
    const fresh = await next;
    expect((await readFile(fresh.path)).equals(contents.get(A) as Buffer)).toBe(true);
    fresh.release();
    expect(cache.usage()).toEqual({ bytes: MiB, files: 1, leased: 0 });
  });

  test('after a restart: intact copies are used as they are, leftovers cleaned, doubtful ones checked', async () => {
    const first = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 100 * MiB });
    for (const key of [A, B, C]) await first.withLocal(key, async () => {});
    await first.idle();
    const folder = join(cacheDir, 'tenants', 't1', 'datasets');
    // What a crash can leave, and what an operator might do.
    await writeFile(join(folder, '~1234.d.parquet.partial'), 'half a download');
    await writeFile(join(folder, 'gone.parquet~meta.json'), '{}');
    await rm(join(folder, 'b.parquet~meta.json')); // metadata lost: doubtful
    await truncate(join(folder, 'c.parquet'), 100); // size no longer matches its metadata

    const second = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 100 * MiB });
    expect(await filesUnder(folder)).toEqual([
      'a.parquet',
      'a.parquet~meta.json',
      'b.parquet',
      'c.parquet',
      'c.parquet~meta.json',
    ]);
    expect(await requestsDuring(() => second.withLocal(A, async () => {}))).toEqual({ gets: 0, all: 0 });
    const checkB = await requestsDuring(() => second.withLocal(B, async () => {}));
    expect(checkB).toEqual({ gets: 0, all: 1 }); // one HEAD: same size, so kept
    expect(existsSync(join(folder, 'b.parquet~meta.json'))).toBe(true);
    const checkC = await requestsDuring(() =>
      second.withLocal(C, async (path) =>
        expect((await readFile(path)).equals(contents.get(C) as Buffer)).toBe(true),
      ),
    );
    expect(checkC.gets).toBe(1); // HEAD said otherwise: downloaded again
    expect(second.usage()).toEqual({ bytes: 3 * MiB, files: 3, leased: 0 });
  });

  test('a caller that gives up does not cancel the download for the others; the last one does', async () => {
    const cache = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 100 * MiB });
    const quitter = new AbortController();
    const first = cache.ensureLocal(A, { signal: quitter.signal });
    const second = cache.ensureLocal(A);
    quitter.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    const lease = await second;
    expect((await readFile(lease.path)).equals(contents.get(A) as Buffer)).toBe(true);
    lease.release();

    // Both give up while the download is on the wire.
    const both = [new AbortController(), new AbortController()];
    const unsubscribe = server.onRequest((request) => {
      if (request.method === 'GET' && request.url?.includes('b.parquet')) for (const c of both) c.abort();
    });
    const seen = await requestsDuring(async () => {
      const attempts = both.map((controller) => cache.ensureLocal(B, { signal: controller.signal }));
      for (const attempt of attempts) await expect(attempt).rejects.toMatchObject({ name: 'AbortError' });
      await cache.idle();
    });
    unsubscribe();
    expect(seen.gets).toBe(1);
    expect(await filesUnder(join(cacheDir, 'tenants', 't1', 'datasets'))).toEqual([
      'a.parquet',
      'a.parquet~meta.json',
    ]);
    expect((await cache.withLocal(B, async (path) => readFile(path))).equals(contents.get(B) as Buffer)).toBe(
      true,
    );
  });
});

describe('DatasetCache over the local store', () => {
  test('hands out the object file itself: no copy, no request', async () => {
    const root = await makeScratchDir();
    const cacheDir = join(root, 'dataset-cache');
    try {
      const store = new LocalObjectStore(root);
      await writeFile(join(root, 'src'), 'bytes');
      await store.putFile('datasets/ds_1.parquet', join(root, 'src'));
      const cache = await DatasetCache.open(store, { dir: cacheDir, maxBytes: 0 });
      const lease = await cache.ensureLocal('datasets/ds_1.parquet');
      expect(lease.path).toBe(store.localPathOf('datasets/ds_1.parquet'));
      expect(lease.size).toBe(5);
      lease.release();
      await expect(cache.ensureLocal('datasets/none.parquet')).rejects.toMatchObject({ code: 'missing' });
      await cache.forget('datasets/ds_1.parquet'); // nothing to forget: the store owns the file
      expect(existsSync(store.localPathOf('datasets/ds_1.parquet'))).toBe(true);
      expect(await filesUnder(cacheDir)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
