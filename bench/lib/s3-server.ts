import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The part of s3rver (a test dependency without types of its own) that the bench uses. */
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

/** s3rver's built-in account (it checks only the key id of a signed request). */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const REGION = 'us-east-1';

/** An S3-protocol server on a free loopback port, keeping its objects under `directory`. */
export interface S3Server {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** OBJECT_STORE_URL for objects under `prefix` in the bucket. */
  url(prefix: string): string;
  /** What points an API or worker at the bucket: the store's variables and the SDK's credentials. */
  serviceEnv(prefix: string): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * s3rver (npm, the S3 protocol over a folder), as the storage tests use it: a stand-in for a
 * real object store that costs what the protocol and the copies cost, on this machine.
 */
export async function startS3Server(directory: string, bucket = 'bench'): Promise<S3Server> {
  // Loaded here: s3rver (koa and its kin) costs ~0.3 s that runs without this pair need not pay.
  const S3rver = require('s3rver') as S3rverConstructor;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const url = (prefix: string) => `s3://${bucket}/${prefix}`;
  return {
    endpoint,
    bucket,
    region: REGION,
    credentials: CREDENTIALS,
    url,
    serviceEnv: (prefix) => ({
      OBJECT_STORE_URL: url(prefix),
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_REGION: REGION,
    }),
    async stop() {
      server.httpServer.closeAllConnections();
      await server.close();
    },
  };
}
