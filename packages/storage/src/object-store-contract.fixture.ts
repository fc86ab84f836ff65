import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ObjectStore } from './object-store';
import { isMissing, StorageError } from './storage-error';

/** One backend under test: a fresh, empty store per test, and a way to abort mid-upload. */
export interface ContractHarness {
  store: ObjectStore;
  /** Aborts `controller` once a put of a multipart-sized file is under way. */
  abortDuringPut(controller: AbortController): void;
  /** Local folders the store may write to: no error message may name them. */
  privatePaths: string[];
  /** Text that must never appear in an error message (the endpoint, a credential). */
  secrets: string[];
}

export const MiB = 1024 * 1024;
/** Larger than two 5 MiB parts: the S3 store (parts lowered to 5 MiB in tests) sends 3 parts. */
export const MULTIPART_SIZE = 12 * MiB;

export async function makeScratchDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'storage-test-'));
}

export async function writeRandomFile(path: string, size: number): Promise<Buffer> {
  const bytes = randomBytes(size);
  await writeFile(path, bytes);
  return bytes;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.list(prefix)) keys.push(object.key);
  return keys.sort();
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

export const INVALID_KEYS = [
  '',
  '/etc/passwd',
  '../outside',
  'a/../../b',
  'a/./b',
  'a//b',
  'a/',
  'a\\b',
  'a b',
  'caf\u00e9',
  'a~b',
  'x'.repeat(201),
  `${'a/'.repeat(600)}b`,
];

/**
 * The behaviour every ObjectStore must show, run against each backend by its own test file.
 * `start` makes a harness per test; `stop` cleans it up.
 */
export function describeObjectStoreContract(
  name: string,
  start: () => Promise<ContractHarness>,
  stop: (harness: ContractHarness) => Promise<void>,
): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let harness: ContractHarness;
    let store: ObjectStore;
    let scratch: string;

    beforeEach(async () => {
      harness = await start();
      store = harness.store;
      scratch = await makeScratchDir();
    });
    afterEach(async () => {
      await stop(harness);
      await rm(scratch, { recursive: true, force: true });
    });

    /** The error carries no local folder of the store or the test, nor the endpoint. */
    function expectClean(error: unknown): void {
      expect(error).toBeInstanceOf(StorageError);
      const text = `${(error as Error).message} ${(error as StorageError).detail ?? ''}`;
      for (const hidden of [...harness.privatePaths, scratch, ...harness.secrets])
        expect(text).not.toContain(hidden);
    }

    test('putFile then getToFile returns the same bytes, size and ETag', async () => {
      const bytes = await writeRandomFile(join(scratch, 'in.bin'), 100_000);
      const put = await store.putFile('tenants/t1/datasets/ds_1.parquet', join(scratch, 'in.bin'));
      expect(put.size).toBe(bytes.length);
      expect(put.etag).not.toBe('');
      expect(await store.head('tenants/t1/datasets/ds_1.parquet')).toEqual(put);
      const got = await store.getToFile('tenants/t1/datasets/ds_1.parquet', join(scratch, 'deep/er/out.bin'));
      expect(got).toEqual(put);
      expect((await readFile(join(scratch, 'deep/er/out.bin'))).equals(bytes)).toBe(true);
      expect((await readdir(join(scratch, 'deep/er'))).sort()).toEqual(['out.bin']); // no temp file left
    });

    test('a multipart-sized file round-trips intact', async () => {
      const bytes = await writeRandomFile(join(scratch, 'big.bin'), MULTIPART_SIZE);
      const put = await store.putFile('big/one.parquet', join(scratch, 'big.bin'));
      expect(put.size).toBe(MULTIPART_SIZE);
      await store.getToFile('big/one.parquet', join(scratch, 'big.out'));
      expect((await readFile(join(scratch, 'big.out'))).equals(bytes)).toBe(true);
      const tail = await store.getRange('big/one.parquet', MULTIPART_SIZE - 10, MULTIPART_SIZE - 1);
      expect(tail.equals(bytes.subarray(MULTIPART_SIZE - 10))).toBe(true);
    });

    test('an empty file round-trips; a put replaces the object', async () => {
      await writeFile(join(scratch, 'empty'), '');
      await store.putFile('k/empty', join(scratch, 'empty'));
      expect((await store.head('k/empty'))?.size).toBe(0);
      await store.getToFile('k/empty', join(scratch, 'empty.out'));
      expect((await readFile(join(scratch, 'empty.out'))).length).toBe(0);

      await writeFile(join(scratch, 'v1'), 'version one');
      await writeFile(join(scratch, 'v2'), 'version two, longer');
      const first = await store.putFile('k/doc', join(scratch, 'v1'));
      const second = await store.putFile('k/doc', join(scratch, 'v2'));
      expect(second.etag).not.toBe(first.etag);
      expect((await store.getRange('k/doc', 0, 1000)).toString()).toBe('version two, longer');
    });

    test('ranged reads: getRange and createReadStream, clamped at the end', async () => {
      const bytes = await writeRandomFile(join(scratch, 'r.bin'), 1000);
      await store.putFile('r.bin', join(scratch, 'r.bin'));
      expect((await store.getRange('r.bin', 10, 19)).equals(bytes.subarray(10, 20))).toBe(true);
      expect((await store.getRange('r.bin', 990, 5000)).equals(bytes.subarray(990))).toBe(true);
      expect((await store.getRange('r.bin', 1000, 2000)).length).toBe(0);
      expect((await readAll(await store.createReadStream('r.bin'))).equals(bytes)).toBe(true);
      const middle = await store.createReadStream('r.bin', { start: 100, end: 199 });
      expect((await readAll(middle)).equals(bytes.subarray(100, 200))).toBe(true);
      expect(
        (await readAll(await store.createReadStream('r.bin', { start: 900 }))).equals(bytes.subarray(900)),
      ).toBe(true);
      expect((await readAll(await store.createReadStream('r.bin', { start: 1000 }))).length).toBe(0);
      await expect(store.getRange('r.bin', 5, 4)).rejects.toThrow(RangeError);
    });

    test('a missing object is `missing` for every read, and head says null', async () => {
      expect(await store.head('no/such.parquet')).toBeNull();
      const reads = [
        store.getToFile('no/such.parquet', join(scratch, 'x')),
        store.getRange('no/such.parquet', 0, 10),
        store.createReadStream('no/such.parquet'),
        store.createReadStream('no/such.parquet', { start: 5 }),
      ];
      for (const read of reads) {
        const error = await caught(read);
        expect(isMissing(error)).toBe(true);
        expect((error as StorageError).code).toBe('missing');
        expect((error as StorageError).key).toBe('no/such.parquet');
        expectClean(error);
      }
      expect(existsSync(join(scratch, 'x'))).toBe(false);
      expect(await readdir(scratch)).toEqual([]);
    });

    test('delete, deleteMany and deletePrefix remove exactly what they name', async () => {
      await writeFile(join(scratch, 'f'), 'x');
      const keys = ['t/a/1', 't/a/2', 't/ab/3', 't/b/4', 'u/5'];
      for (const key of keys) await store.putFile(key, join(scratch, 'f'));
      await store.delete('t/b/4');
      await store.delete('t/b/4'); // already gone: no error
      expect(await store.head('t/b/4')).toBeNull();
      expect(await store.deletePrefix('t/a/')).toBe(2);
      expect(await listKeys(store, '')).toEqual(['t/ab/3', 'u/5']);
      await store.deleteMany(['t/ab/3', 'u/5', 'never/was']);
      expect(await listKeys(store, '')).toEqual([]);
      expect(await store.deletePrefix('t/')).toBe(0);
      await expect(store.deletePrefix('')).rejects.toMatchObject({ code: 'invalid_key' });
    });

    test('list matches keys by string prefix, across folders and pages', async () => {
      await writeFile(join(scratch, 'f'), 'four');
      const keys = ['d/ds_1.parquet', 'd/ds_10.parquet', 'd/ds_2.parquet', 'd/sub/x', 'e/y', 'top'];
      for (const key of keys) await store.putFile(key, join(scratch, 'f'));
      expect(await listKeys(store, '')).toEqual(keys);
      expect(await listKeys(store, 'd/')).toEqual(keys.slice(0, 4));
      expect(await listKeys(store, 'd/ds_1')).toEqual(['d/ds_1.parquet', 'd/ds_10.parquet']);
      expect(await listKeys(store, 'd')).toEqual(keys.slice(0, 4));
      expect(await listKeys(store, 'nothing/')).toEqual([]);
      for await (const object of store.list('e/')) expect(object).toMatchObject({ key: 'e/y', size: 4 });
    });

    test('presignGet: a URL that serves the bytes (S3), `unsupported` (local)', async () => {
      const bytes = await writeRandomFile(join(scratch, 'p.bin'), 4096);
      await store.putFile('results/job_1.parquet', join(scratch, 'p.bin'));
      if (store.kind === 'local') {
        await expect(store.presignGet('results/job_1.parquet', 60)).rejects.toMatchObject({
          code: 'unsupported',
        });
        return;
      }
      const url = await store.presignGet('results/job_1.parquet', 60);
      expect(new URL(url).hostname).toBe('127.0.0.1');
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    });

    test('an aborted upload rejects with the abort reason and leaves no object', async () => {
      await writeRandomFile(join(scratch, 'big.bin'), MULTIPART_SIZE);
      const controller = new AbortController();
      harness.abortDuringPut(controller);
      const error = await caught(
        store.putFile('up/aborted.parquet', join(scratch, 'big.bin'), { signal: controller.signal }),
      );
      expect((error as Error).name).toBe('AbortError');
      expect(await store.head('up/aborted.parquet')).toBeNull();
      expect(await listKeys(store, '')).toEqual([]);

      const already = AbortSignal.abort();
      await expect(
        store.putFile('up/never', join(scratch, 'big.bin'), { signal: already }),
      ).rejects.toMatchObject({
        name: 'AbortError',
      });
      await expect(
        store.getToFile('up/never', join(scratch, 'never'), { signal: already }),
      ).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(await store.head('up/never')).toBeNull();
    });

    test('an aborted download leaves no file', async () => {
      await writeRandomFile(join(scratch, 'big.bin'), MULTIPART_SIZE);
      await store.putFile('down/big', join(scratch, 'big.bin'));
      const controller = new AbortController();
      const download = store.getToFile('down/big', join(scratch, 'out/big'), { signal: controller.signal });
      setImmediate(() => controller.abort());
      const error = await caught(download);
      expect((error as Error).name).toBe('AbortError');
      const left = existsSync(join(scratch, 'out')) ? await readdir(join(scratch, 'out')) : [];
      expect(left).toEqual([]);
    });

    test('a source file that does not exist is not `missing` (that is about objects)', async () => {
      const error = await caught(store.putFile('k/from-nothing', join(scratch, 'nope')));
      expect(isMissing(error)).toBe(false);
      expectClean(error);
      expect(await store.head('k/from-nothing')).toBeNull();
    });

    test('invalid keys and prefixes are refused before any I/O, without echoing them', async () => {
      await writeFile(join(scratch, 'f'), 'x');
      for (const key of INVALID_KEYS) {
        const attempts: Promise<unknown>[] = [
          store.putFile(key, join(scratch, 'f')),
          store.getToFile(key, join(scratch, 'g')),
          store.getRange(key, 0, 1),
          store.createReadStream(key),
          store.head(key),
          store.delete(key),
          store.deleteMany(['fine', key]),
          store.presignGet(key, 60),
        ];
        for (const attempt of attempts) {
          const error = await caught(attempt);
          expect(error).toMatchObject({ code: 'invalid_key' });
          if (key.length > 3) expect((error as Error).message).not.toContain(key);
        }
        expect(() => store.localPathOf(key)).toThrow(StorageError);
      }
      for (const prefix of ['/abs', '../x', 'a//', 'a b/']) {
        await expect(listKeys(store, prefix)).rejects.toMatchObject({ code: 'invalid_key' });
        await expect(store.deletePrefix(prefix)).rejects.toMatchObject({ code: 'invalid_key' });
      }
      expect(existsSync(join(scratch, 'g'))).toBe(false);
    });
  });
}
