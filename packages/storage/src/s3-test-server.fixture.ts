import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3ObjectStoreOptions } from './s3-object-store';

export interface RecordedRequest {
  method: string;
  url: string;
}

/** A real S3-protocol server (s3rver) on a free loopback port, storing under a temp folder. */
export interface S3TestServer {
  readonly endpoint: string;
  readonly bucket: string;
  /** Every request received so far, in order. */
  readonly requests: RecordedRequest[];
  /** Called with each request before the server handles it; returns an unsubscribe. */
  onRequest(listener: (request: IncomingMessage) => void): () => void;
  /** Options for a store on this server: its credentials, path style, short timeouts. */
  storeOptions(extra?: Partial<S3ObjectStoreOptions>): S3ObjectStoreOptions;
  /** Cuts every open connection mid-flight, as a crash or a network cut would; keeps listening. */
  dropConnections(): void;
  /** Drops open connections too, so nothing waits on keep-alive sockets. */
  stop(): Promise<void>;
}

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function countObjectGets(requests: readonly RecordedRequest[]): number {
  return requests.filter((request) => request.method === 'GET' && request.url.includes('x-id=GetObject'))
    .length;
}

export async function startS3TestServer(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'storage-s3rver-'));
  const bucket = 'test-bucket';
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const requests: RecordedRequest[] = [];
  const listeners = new Set<(request: IncomingMessage) => void>();
  server.httpServer.prependListener('request', (request: IncomingMessage) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '' });
    for (const listener of listeners) listener(request);
  });
  let stopped = false;
  return {
    endpoint,
    bucket,
    requests,
    onRequest(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    storeOptions(extra) {
      return {
        bucket,
        endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: S3RVER_CREDENTIALS,
        partSizeBytes: 5 * 1024 * 1024,
        connectionTimeoutMs: 1_000,
        socketTimeoutMs: 2_000,
        maxAttempts: 2,
        ...extra,
      };
    },
    dropConnections() {
      server.httpServer.closeAllConnections();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      server.httpServer.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
