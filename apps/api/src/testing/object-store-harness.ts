import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { dataKeys } from '@repo/queue';
import { S3ObjectStore } from '@repo/storage';
import { type S3TestServer, startS3TestServer } from '@repo/test-utils';
import type supertest from 'supertest';

/** The AWS SDK's own variables: read from process.env by the SDK in the in-process APIs. */
const SDK_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

/**
 * A bucket on a real S3-protocol server (s3rver on loopback) for the services of one test
 * file, and a view of it from outside the services.
 */
export interface ObjectStoreHarness {
  s3: S3TestServer;
  /** The key prefix of this file's services in the bucket (OBJECT_STORE_URL's path). */
  prefix: string;
  /** OBJECT_STORE_URL, S3_ENDPOINT, S3_FORCE_PATH_STYLE and the SDK's credentials and region. */
  env: Record<string, string>;
  secret: string;
  /** The bucket through the SDK, outside every service (no prefix: keys as stored). */
  bucket: S3ObjectStore;
  /** Keys in the bucket under this file's prefix, relative to it, sorted. */
  objectKeys(under?: string): Promise<string[]>;
  datasetKey(datasetId: string, tenant?: string): string;
  resultKey(jobId: string, tenant?: string): string;
  /** A fresh folder for a process's DATA_DIR, removed by close(). */
  dataDir(): Promise<string>;
  /** Every API answer passed to it (status, headers and body) is kept, to look for secrets. */
  record<T extends supertest.Response>(res: T): T;
  answers: string[];
  close(): Promise<void>;
}

export async function startObjectStoreHarness(): Promise<ObjectStoreHarness> {
  const s3 = await startS3TestServer();
  const prefix = `services-${randomBytes(4).toString('hex')}`;
  const env = s3.serviceEnv(prefix);
  // Jest gives each test file its own copy of process.env; the values are put back anyway.
  const saved = SDK_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of SDK_VARIABLES) process.env[name] = env[name];
  const bucket = new S3ObjectStore(s3.storeOptions());
  const dirs: string[] = [];
  const answers: string[] = [];
  return {
    s3,
    prefix,
    env,
    secret: s3.credentials.secretAccessKey,
    bucket,
    async objectKeys(under = '') {
      const keys: string[] = [];
      for await (const object of bucket.list(`${prefix}/${under}`))
        keys.push(object.key.slice(prefix.length + 1));
      return keys.sort();
    },
    datasetKey: (datasetId, tenant = 'acme') => `${prefix}/${dataKeys.dataset(tenant, datasetId)}`,
    resultKey: (jobId, tenant = 'acme') => `${prefix}/${dataKeys.result(tenant, jobId)}`,
    async dataDir() {
      const dir = await mkdtemp(join(tmpdir(), 'analytics-objstore-'));
      dirs.push(dir);
      return dir;
    },
    record(res) {
      answers.push(
        `${res.status} ${JSON.stringify(res.headers)} ${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)} ${res.text ?? ''}`,
      );
      return res;
    },
    answers,
    async close() {
      bucket.close();
      await s3.stop();
      for (const dir of dirs) await rm(dir, { recursive: true, force: true });
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

/** Files under `dir`, relative to it, sorted ([] when it does not exist). */
export async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** supertest's parser for a streamed body of any type: the text as it arrived. */
export function asText(res: supertest.Response, done: (error: Error | null, body: string) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  stream.on('end', () => done(null, text));
}
