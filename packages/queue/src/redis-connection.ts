import type { Config } from '@repo/config';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

/**
 * Roles follow BullMQ's production guide: commands issued on behalf of an HTTP request
 * fail fast when Redis is away (no offline queue, short timeouts), while workers and
 * event readers block and must retry forever (maxRetriesPerRequest: null).
 */
export type ConnectionRole = 'request' | 'blocking';

export function createRedisClient(
  config: Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER'>,
  role: ConnectionRole,
  onError: (error: Error) => void,
): RedisClient {
  const common: RedisOptions = {
    connectTimeout: 2_000,
    // Reconnect forever, backing off to 2 s: a Redis that comes back is used again.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  };
  // A request's command gives up after 1.5 s, so that even a Redis that hangs (rather than
  // refuses connections) gets the client its 503 within the 2 s the contract promises.
  const options: RedisOptions =
    role === 'request'
      ? { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_500 }
      : { ...common, maxRetriesPerRequest: null, enableOfflineQueue: true };
  const url = new URL(config.REDIS_URL);
  const client: RedisClient = config.REDIS_CLUSTER
    ? new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
        redisOptions: {
          ...options,
          username: url.username ? decodeURIComponent(url.username) : undefined,
          password: url.password ? decodeURIComponent(url.password) : undefined,
          tls: url.protocol === 'rediss:' ? {} : undefined,
        },
        enableOfflineQueue: options.enableOfflineQueue,
        clusterRetryStrategy: (times) => Math.min(times * 100, 2_000),
      })
    : new Redis(config.REDIS_URL, options);
  // Without a listener ioredis reports every failed reconnect as an unhandled error.
  client.on('error', onError);
  return client;
}

const refusedForMemory = (error: unknown) =>
  error instanceof Error && error.message.startsWith('OOM command not allowed');

/**
 * True when Redis refused a write because it reached `maxmemory` (with `noeviction`, as it
 * should run, it refuses writes rather than evict queued jobs). Inside MULTI the refusal
 * arrives as EXECABORT, carrying the OOM errors of the queued commands. (Looked at one
 * level deep only: when a connection drops mid-MULTI, ioredis lists the very error it
 * throws among its own previousErrors.)
 */
export function isRedisOutOfMemory(error: unknown): boolean {
  if (refusedForMemory(error)) return true;
  const previous = error instanceof Error ? (error as { previousErrors?: unknown }).previousErrors : null;
  return Array.isArray(previous) && previous.some(refusedForMemory);
}

/** True when an error means "Redis is not reachable right now" rather than a bug. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    isRedisOutOfMemory(error) ||
    error.name === 'MaxRetriesPerRequestError' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT' ||
    /enableOfflineQueue|Connection is closed|Command timed out|connect ETIMEDOUT|LOADING|OOM command not allowed/i.test(
      error.message,
    )
  );
}

/**
 * Resolves once the client is connected and its handshake is done (a fail-fast client
 * refuses commands before that; a subscriber must not subscribe before it, see
 * listenForCancels). `timeoutMs` of Infinity waits as long as Redis takes.
 */
export async function whenReady(client: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms`)), timeoutMs)
      : undefined;
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
