import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3RVER_CREDENTIALS, type S3TestServer, startS3TestServer } from '@repo/test-utils';
import { createObjectStore } from './create-object-store';
import {
  type ContractHarness,
  describeObjectStoreContract,
  listKeys,
  MiB,
  MULTIPART_SIZE,
  makeScratchDir,
  writeRandomFile,
} from './object-store-contract.fixture';
import { S3ObjectStore } from './s3-object-store';
import { StorageError } from './storage-error';

let server: S3TestServer;
let runs = 0;
beforeAll(async () => {
  server = await startS3TestServer();
});
afterAll(async () => {
  await server.stop();
});

const unsubscribes = new WeakMap<ContractHarness, () => void>();

describeObjectStoreContract(
  's3 (s3rver on loopback, through createObjectStore with a key prefix)',
  async () => {
    runs += 1;
    // A prefix per test keeps tests apart in one bucket, and exercises the prefix mapping.
    const store = createObjectStore(
      {
        DATA_DIR: '/unused',
        OBJECT_STORE_URL: `s3://${server.bucket}/contract/run-${runs}/`,
        S3_ENDPOINT: server.endpoint,
        S3_FORCE_PATH_STYLE: true,
      },
      { ...server.storeOptions(), listPageSize: 2 }, // small pages: listing must follow markers
    );
    let armed: AbortController | null = null;
    const unsubscribe = server.onRequest((request) => {
      if (armed && request.method === 'PUT' && request.url?.includes('partNumber=')) {
        armed.abort();
        armed = null;
      }
    });
    const harness: ContractHarness = {
      store,
      abortDuringPut: (controller) => {
        armed = controller; // at the first part's request, the rest still to come
      },
      privatePaths: [],
      secrets: [server.endpoint, `:${new URL(server.endpoint).port}`, server.credentials.secretAccessKey],
    };
    unsubscribes.set(harness, unsubscribe);
    return harness;
  },
  async (harness) => {
    unsubscribes.get(harness)?.();
    harness.store.close();
  },
);

describe('S3ObjectStore', () => {
  let scratch: string;
  let store: S3ObjectStore;
  beforeEach(async () => {
    scratch = await makeScratchDir();
    runs += 1;
    store = new S3ObjectStore(server.storeOptions({ prefix: `s3-specific/run-${runs}` }));
  });
  afterEach(() => store.close());

  test('files above the part size go up as a multipart upload, smaller ones in one PUT', async () => {
    await writeRandomFile(join(scratch, 'big'), MULTIPART_SIZE);
    await writeRandomFile(join(scratch, 'small'), MiB);
    const before = server.requests.length;
    await store.putFile('big.parquet', join(scratch, 'big'));
    const bigRequests = server.requests.slice(before);
    expect(bigRequests.filter((r) => r.method === 'POST' && r.url.includes('uploads')).length).toBe(1);
    expect(bigRequests.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=')).length).toBe(3);
    const mid = server.requests.length;
    await store.putFile('small.parquet', join(scratch, 'small'));
    const smallRequests = server.requests.slice(mid);
    expect(smallRequests.map((r) => r.method)).toEqual(['PUT']);
  });

  test('an aborted multipart upload is aborted on the server too', async () => {
    await writeRandomFile(join(scratch, 'big'), MULTIPART_SIZE);
    const controller = new AbortController();
    const before = server.requests.length;
    const unsubscribe = server.onRequest((request) => {
      if (request.url?.includes('partNumber=')) controller.abort();
    });
    try {
      await expect(
        store.putFile('aborted.parquet', join(scratch, 'big'), { signal: controller.signal }),
      ).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      unsubscribe();
    }
    const sent = server.requests.slice(before);
    // (s3rver itself answers AbortMultipartUpload with 405; S3 and its usual clones honour it.)
    expect(sent.some((r) => r.method === 'DELETE' && r.url.includes('uploadId='))).toBe(true);
    expect(sent.some((r) => r.method === 'POST' && r.url.includes('uploadId='))).toBe(false); // never completed
    expect(await store.head('aborted.parquet')).toBeNull();
  });

  test('keys live under the configured prefix in the bucket', async () => {
    await writeFile(join(scratch, 'f'), 'x');
    await store.putFile('tenants/t1/datasets/ds_1.parquet', join(scratch, 'f'));
    const bucketRoot = new S3ObjectStore(server.storeOptions());
    try {
      expect(await listKeys(bucketRoot, `s3-specific/run-${runs}/`)).toEqual([
        `s3-specific/run-${runs}/tenants/t1/datasets/ds_1.parquet`,
      ]);
    } finally {
      bucketRoot.close();
    }
    expect(await listKeys(store, '')).toEqual(['tenants/t1/datasets/ds_1.parquet']);
  });

  test('objects named outside the grammar by other tools: not listed, but deleted with their prefix', async () => {
    await writeFile(join(scratch, 'f'), 'x');
    await store.putFile('tenants/t1/datasets/ds_1.parquet', join(scratch, 'f'));
    const raw = new S3Client({
      endpoint: server.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: S3RVER_CREDENTIALS,
    });
    try {
      for (const Key of [
        `s3-specific/run-${runs}/tenants/`,
        `s3-specific/run-${runs}/tenants/t1/a note.txt`,
      ]) {
        await raw.send(new PutObjectCommand({ Bucket: server.bucket, Key, Body: Buffer.from('') }));
      }
    } finally {
      raw.destroy();
    }
    expect(await listKeys(store, 'tenants/')).toEqual(['tenants/t1/datasets/ds_1.parquet']);
    expect(await store.deletePrefix('tenants/t1/')).toBe(2);
    expect(await store.deletePrefix('tenants/')).toBe(1); // the folder marker itself
    expect(await listKeys(store, '')).toEqual([]);
  });

  test('a bucket that does not exist is an operator error, never a missing object', async () => {
    const misconfigured = createObjectStore(
      {
        DATA_DIR: '/unused',
        OBJECT_STORE_URL: 's3://no-such-bucket/x',
        S3_ENDPOINT: server.endpoint,
        S3_FORCE_PATH_STYLE: true,
      },
      server.storeOptions(),
    );
    try {
      // HEAD answers a bare 404 for a missing bucket as for a missing key.
      await expect(misconfigured.head('tenants/acme/datasets/d.parquet')).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringContaining('the bucket does not exist'),
      });
    } finally {
      misconfigured.close();
    }
    await expect(store.head('tenants/acme/datasets/absent.parquet')).resolves.toBeNull();
  });

  test('presignGet names the download and bounds the lifetime', async () => {
    const bytes = await writeRandomFile(join(scratch, 'r'), 2048);
    await store.putFile('results/job_9.parquet', join(scratch, 'r'));
    const url = await store.presignGet('results/job_9.parquet', 900, { downloadName: 'job_9.parquet' });
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('900');
    const response = await fetch(url);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="job_9.parquet"');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    await expect(store.presignGet('results/job_9.parquet', 0)).rejects.toThrow(RangeError);
    await expect(store.presignGet('results/job_9.parquet', 604_801)).rejects.toThrow(RangeError);
    await expect(
      store.presignGet('results/job_9.parquet', 60, { downloadName: 'a"b' }),
    ).rejects.toMatchObject({
      code: 'invalid_key',
    });
  });

  test('a stream cut by the server mid-way fails as `unavailable`', async () => {
    await writeRandomFile(join(scratch, 'big'), MULTIPART_SIZE);
    await store.putFile('cut.parquet', join(scratch, 'big'));
    const stream = await store.createReadStream('cut.parquet');
    let received = 0;
    const error = await (async () => {
      for await (const chunk of stream) {
        if (received === 0) server.dropConnections();
        received += (chunk as Buffer).length;
      }
    })().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(received).toBeLessThan(MULTIPART_SIZE);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'unavailable', key: 'cut.parquet' });
  });
});

describe('S3ObjectStore when the server is gone or hung', () => {
  test('a stopped server: `unavailable` within seconds, for every operation', async () => {
    const doomed = await startS3TestServer();
    const store = new S3ObjectStore(doomed.storeOptions());
    const scratch = await makeScratchDir();
    try {
      await writeFile(join(scratch, 'f'), 'x');
      await store.putFile('k', join(scratch, 'f'));
      await doomed.stop();
      const started = Date.now();
      const attempts: (() => Promise<unknown>)[] = [
        () => store.head('k'),
        () => store.getToFile('k', join(scratch, 'out')),
        () => store.getRange('k', 0, 0),
        () => store.createReadStream('k'),
        () => store.putFile('k2', join(scratch, 'f')),
        () => store.delete('k'),
        () => store.deleteMany(['k']),
        () => listKeys(store, ''),
        () => store.deletePrefix('k'),
      ];
      for (const attempt of attempts) {
        const error = await attempt().then(
          () => null,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(StorageError);
        expect(error).toMatchObject({ code: 'unavailable' });
        expect((error as Error).message).not.toContain('127.0.0.1');
      }
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      store.close();
      await doomed.stop();
    }
  });

  test('a server that accepts connections and never answers: `unavailable` after the idle timeout', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket); // read nothing, answer nothing
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const store = new S3ObjectStore({
      bucket: 'b',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: S3RVER_CREDENTIALS,
      socketTimeoutMs: 500,
      connectionTimeoutMs: 500,
      maxAttempts: 2,
    });
    try {
      const started = Date.now();
      await expect(store.head('k')).rejects.toMatchObject({ code: 'unavailable' });
      await expect(store.getRange('k', 0, 10)).rejects.toMatchObject({ code: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(6_000);
    } finally {
      store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
