import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  url: string;
}

/** What the tests pass to `new S3ObjectStore(…)` (@repo/storage's S3ObjectStoreOptions). */
export interface S3TestStoreOptions {
  bucket: string;
  endpoint: string;
  forcePathStyle: boolean;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  partSizeBytes: number;
  connectionTimeoutMs: number;
  socketTimeoutMs: number;
  maxAttempts: number;
}

/** A real S3-protocol server (s3rver) on a free loopback port, storing under a temp folder. */
export interface S3TestServer {
  readonly endpoint: string;
  readonly bucket: string;
  /**
   * s3rver's account key id with a secret of this server's own: s3rver 3.7 checks only the key
   * id of a SigV4 request, so any secret works, and a distinct one lets tests look for leaks.
   */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** Every request received so far (across `down`/`up`), in order. */
  readonly requests: RecordedRequest[];
  /** Called with each request before the server handles it; returns an unsubscribe. */
  onRequest(listener: (request: IncomingMessage) => void): () => void;
  /** Options for a store on this server: its credentials, path style, short timeouts. */
  storeOptions<T extends object = object>(extra?: T): S3TestStoreOptions & T;
  /**
   * The environment that points a service (API, worker) at this bucket under `prefix`: the
   * object store's variables and the AWS SDK's credentials and region.
   */
  serviceEnv(prefix: string): Record<string, string>;
  /** Cuts every open connection mid-flight, as a crash or a network cut would; keeps listening. */
  dropConnections(): void;
  /** Stops listening (connections are refused) and drops open ones; the objects are kept. */
  down(): Promise<void>;
  /** Listens again on the same port, with the objects it had. */
  up(): Promise<void>;
  /** Stops for good and removes the objects; drops open connections, so nothing waits on keep-alive. */
  stop(): Promise<void>;
}

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function countObjectGets(requests: readonly RecordedRequest[]): number {
  return requests.filter((request) => request.method === 'GET' && request.url.includes('x-id=GetObject'))
    .length;
}

/** The part of s3rver (a test dependency without types of its own) that this fixture uses. */
interface S3rverInstance {
  httpServer: Server;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

/** Loaded on first use: s3rver (koa and its kin) costs ~0.3 s, which other test files need not pay. */
function loadS3rver(): S3rverConstructor {
  return require('s3rver') as S3rverConstructor;
}

export async function startS3TestServer(): Promise<S3TestServer> {
  const S3rver = loadS3rver();
  const directory = await mkdtemp(join(tmpdir(), 'storage-s3rver-'));
  const bucket = 'test-bucket';
  const requests: RecordedRequest[] = [];
  const listeners = new Set<(request: IncomingMessage) => void>();
  const credentials = {
    accessKeyId: S3RVER_CREDENTIALS.accessKeyId,
    secretAccessKey: `s3rver-secret-${randomBytes(12).toString('hex')}`,
  };

  async function listen(port: number): Promise<{ server: S3rverInstance; port: number }> {
    const server = new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket }],
    });
    const address = await server.run();
    server.httpServer.prependListener('request', (request: IncomingMessage) => {
      requests.push({ method: request.method ?? '', url: request.url ?? '' });
      for (const listener of listeners) listener(request);
    });
    return { server, port: address.port };
  }

  const first = await listen(0);
  const port = first.port;
  let current: S3rverInstance | null = first.server;
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped = false;

  async function down(): Promise<void> {
    const server = current;
    if (!server) return;
    current = null;
    server.httpServer.closeAllConnections();
    await server.close();
  }

  return {
    endpoint,
    bucket,
    credentials,
    requests,
    onRequest(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    storeOptions<T extends object = object>(extra?: T): S3TestStoreOptions & T {
      return {
        bucket,
        endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials,
        partSizeBytes: 5 * 1024 * 1024,
        connectionTimeoutMs: 1_000,
        socketTimeoutMs: 2_000,
        maxAttempts: 2,
        ...(extra as T),
      };
    },
    serviceEnv(prefix) {
      return {
        OBJECT_STORE_URL: `s3://${bucket}/${prefix}`,
        S3_ENDPOINT: endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: 'us-east-1',
      };
    },
    dropConnections() {
      current?.httpServer.closeAllConnections();
    },
    down,
    async up() {
      if (current || stopped) return;
      current = (await listen(port)).server;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await down();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
