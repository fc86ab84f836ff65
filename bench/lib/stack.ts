import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUERY_QUEUE_NAME } from '@repo/queue';
import { freePort, type PrivateRedis, startRedis } from '@repo/test-utils';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { RawSpec } from '../raw/raw-env';
import { type BenchProcess, PATHS, spawnTs, waitForHttp, waitUntil } from './processes';

export const TENANT = 'bench';
export const API_KEY = 'bench-key-0123456789abcdef';
export const SERVICE_PREFIX = '{bench}';
export const RAW_PREFIX = '{raw}';

export interface ApiHandle {
  proc: BenchProcess;
  url: string;
}

/** Redis, the service's environment, and handles the harness uses to watch the queue. */
export interface Stack {
  redis: PrivateRedis;
  redisPid: number;
  workDir: string;
  dataDir: string;
  serviceEnv: Record<string, string>;
  /** The harness's own connection (never used by what is measured). */
  connection: Redis;
  serviceQueue: Queue;
  serviceEvents: QueueEvents;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const redis = await startRedis();
  const workDir = mkdtempSync(join(tmpdir(), 'analytics-bench-'));
  const dataDir = join(workDir, 'data');
  const serviceEnv: Record<string, string> = {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: SERVICE_PREFIX,
    DATA_DIR: dataDir,
    API_KEYS: `${TENANT}:${API_KEY}`,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
  };
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const serviceQueue = new Queue(QUERY_QUEUE_NAME, { connection, prefix: SERVICE_PREFIX });
  const serviceEvents = new QueueEvents(QUERY_QUEUE_NAME, {
    connection: new Redis(redis.url, { maxRetriesPerRequest: null }),
    prefix: SERVICE_PREFIX,
  });
  await Promise.all([serviceQueue.waitUntilReady(), serviceEvents.waitUntilReady()]);
  return {
    redis,
    redisPid: redis.process.pid ?? 0,
    workDir,
    dataDir,
    serviceEnv,
    connection,
    serviceQueue,
    serviceEvents,
    async close() {
      await serviceEvents.close();
      await serviceQueue.close();
      connection.disconnect();
      await redis.stop();
    },
  };
}

/** An API process (apps/api/src/main.ts), ready when /healthz answers. */
export async function startApi(
  stack: Stack,
  name = 'api',
  options: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<ApiHandle> {
  const port = await freePort();
  const proc = spawnTs(
    name,
    PATHS.apiMain,
    { ...stack.serviceEnv, PORT: String(port), ...options.env },
    { nodeArgs: options.nodeArgs },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, proc);
  return { proc, url };
}

/** The bare Express 5 process, answering the given constant bodies. */
export async function startBare(getBody: string, postBody: string, nodeArgs?: string[]): Promise<ApiHandle> {
  const port = await freePort();
  const proc = spawnTs(
    'bare-express',
    PATHS.bareExpress,
    {},
    { nodeArgs, args: [JSON.stringify({ port, getBody, postBody })] },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, proc);
  return { proc, url };
}

/**
 * Service worker processes (apps/worker/src/main.ts), ready once BullMQ lists them on `queue`
 * (default the service's; a service under another QUEUE_PREFIX passes its own).
 */
export async function startWorkers(
  stack: Stack,
  count: number,
  env: Record<string, string> = {},
  nodeArgs?: string[],
  options: { queue?: Queue; name?: string } = {},
): Promise<BenchProcess[]> {
  const queue = options.queue ?? stack.serviceQueue;
  const before = await queue.getWorkersCount();
  const procs = Array.from({ length: count }, (_, i) =>
    spawnTs(
      `${options.name ?? 'worker'}-${i + 1}`,
      PATHS.workerMain,
      { ...stack.serviceEnv, ...env },
      { nodeArgs },
    ),
  );
  await waitUntil(
    `${count} worker(s) to connect`,
    async () => {
      for (const proc of procs) {
        if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited:\n${proc.output()}`);
      }
      return (await queue.getWorkersCount()) >= before + count;
    },
    60_000,
  );
  return procs;
}

export async function stopAll(procs: BenchProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop()));
}

/**
 * The raw BullMQ worker process on `queue` under the raw prefix: a trivial processor, or,
 * given `sql`, one that runs it in DuckDB (the glue a user would write).
 */
export async function startRawWorker(
  stack: Stack,
  queue: string,
  concurrency: number,
  sql?: string,
): Promise<BenchProcess> {
  const spec: RawSpec = { redisUrl: stack.redis.url, prefix: RAW_PREFIX, queue, concurrency, sql };
  const file = sql ? PATHS.rawDuckdbWorker : PATHS.rawWorker;
  const proc = spawnTs(sql ? 'raw-duckdb-worker' : 'raw-worker', file, {}, { args: [JSON.stringify(spec)] });
  await waitUntil('the raw worker', async () => proc.output().includes('raw worker ready'), 30_000, proc);
  return proc;
}

/** Requests to the service, as a client would make them. */
export function apiClient(api: ApiHandle) {
  const headers = { 'x-api-key': API_KEY };
  const call = async <T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  return {
    headers,
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
    delete: (path: string) => call<unknown>('DELETE', path),
    async saveQuery(name: string, sql: string, datasetId: string): Promise<string> {
      const res = await call<{ query_id: string }>('POST', '/v1/queries', {
        name,
        query: sql,
        dataset_id: datasetId,
      });
      if (res.status !== 201) throw new Error(`saving ${name}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.query_id;
    },
    async runAsync(queryId: string): Promise<string> {
      const res = await call<{ job_id: string }>('POST', `/v1/query/${queryId}`, { execution_mode: 'async' });
      if (res.status !== 202)
        throw new Error(`running ${queryId}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.job_id;
    },
  };
}
export type ApiClient = ReturnType<typeof apiClient>;
