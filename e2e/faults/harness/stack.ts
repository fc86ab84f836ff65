import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobStatus } from '@repo/contracts';
import {
  createRedisClient,
  JOB_STATUS_FIELDS,
  jobIndexKeys,
  jobKey,
  mapJobState,
  QUERY_QUEUE_NAME,
  type RawJobFields,
  type RedisClient,
} from '@repo/queue';
import { freePort, type ServiceProcess, startService, TEST_KEYS, waitFor } from '@repo/test-utils';

export type JobState = JobStatus | 'missing';

export interface JobSnapshot {
  state: JobState;
  /** BullMQ's attemptsStarted: how many times a worker took the job. */
  started: number;
  failedReason: string | null;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test code reads whatever the API answered
  json: any;
  ms: number;
}

export interface LogEvent {
  msg: string;
  jobId?: string;
  time: number;
}

/** The product's own log lines (pino JSON), read back from a process's output. */
export function logEvents(process: ServiceProcess): LogEvent[] {
  const events: LogEvent[] = [];
  for (const line of process.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as { msg?: string; jobId?: string; time?: number };
      if (parsed.msg) events.push({ msg: parsed.msg, jobId: parsed.jobId, time: parsed.time ?? 0 });
    } catch {
      // A line cut in the middle by a SIGKILL.
    }
  }
  return events;
}

/** Job ids for which a process logged `msg`. */
export function jobsLogged(process: ServiceProcess, msg: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const event of logEvents(process)) {
    if (event.msg === msg && event.jobId && !found.has(event.jobId)) found.set(event.jobId, event.time);
  }
  return found;
}

/** An API process and a client of it, authenticated as tenant acme. */
export class ApiProcess {
  constructor(
    readonly process: ServiceProcess,
    readonly url: string,
  ) {}

  /** One HTTP call; a network failure (refused, reset, timeout) rejects. */
  async call(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<CallResult> {
    const { body } = options;
    const started = performance.now();
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        'X-API-Key': TEST_KEYS.acme,
        ...(typeof body === 'string'
          ? { 'Content-Type': 'text/csv' }
          : body
            ? { 'Content-Type': 'application/json' }
            : {}),
        ...options.headers,
      },
      body: typeof body === 'string' ? body : body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, headers: res.headers, text, json, ms: performance.now() - started };
  }

  /** POST /v1/query/{id} as an async job. */
  submit(
    queryId: string,
    parameters: Record<string, unknown>,
    options: { idempotencyKey?: string; timeoutMs?: number } = {},
  ): Promise<CallResult> {
    return this.call('POST', `/v1/query/${queryId}`, {
      body: { execution_mode: 'async', parameters },
      headers: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {},
      timeoutMs: options.timeoutMs,
    });
  }
}

export interface Seed {
  datasetId: string;
  /** `SELECT count(*) … WHERE x < $n`: milliseconds of work. */
  fastQueryId: string;
  /** A self-join whose cost grows with $n (n rows of one side against all of the other). */
  workQueryId: string;
}

export const DATASET_ROWS = 30_000;

/**
 * The product as deployed, on a Redis the scenario owns: API and worker processes (their
 * own main.ts under tsx), one key prefix, one data folder, and a direct Redis client for
 * inspecting what the product stored.
 */
export class FaultStack {
  readonly apis: ApiProcess[] = [];
  readonly workers: ServiceProcess[] = [];
  readonly env: Record<string, string>;
  readonly prefix = `{f${randomBytes(5).toString('hex')}}`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'faults-data-'));
  private adminClient: RedisClient | null = null;

  constructor(redisUrl: string, env: Record<string, string> = {}, cluster = false) {
    this.env = {
      REDIS_URL: redisUrl,
      REDIS_CLUSTER: String(cluster),
      QUEUE_PREFIX: this.prefix,
      DATA_DIR: this.dataDir,
      API_KEYS: Object.entries(TEST_KEYS)
        .map(([tenant, key]) => `${tenant}:${key}`)
        .join(','),
      DUCKDB_THREADS: '1',
      ...env,
    };
  }

  /** A patient client (it waits out outages) for reading what the product stored. */
  get admin(): RedisClient {
    this.adminClient ??= createRedisClient(
      { REDIS_URL: this.env.REDIS_URL ?? '', REDIS_CLUSTER: this.env.REDIS_CLUSTER === 'true' },
      'blocking',
      () => undefined,
    );
    return this.adminClient;
  }

  async startApi(env: Record<string, string> = {}): Promise<ApiProcess> {
    const port = await freePort();
    const process = await startService('api', { ...this.env, ...env, PORT: String(port) }, 60_000);
    const api = new ApiProcess(process, `http://127.0.0.1:${port}`);
    this.apis.push(api);
    return api;
  }

  async startWorker(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const worker = await startService('worker', { ...this.env, ...env }, 60_000);
    this.workers.push(worker);
    return worker;
  }

  async start(apis: number, workers: number, workerEnv: Record<string, string> = {}): Promise<void> {
    await Promise.all([
      ...Array.from({ length: apis }, () => this.startApi()),
      ...Array.from({ length: workers }, () => this.startWorker(workerEnv)),
    ]);
  }

  api(i = 0): ApiProcess {
    const api = this.apis[i];
    if (!api) throw new Error(`no API process ${i}`);
    return api;
  }

  /** Uploads the numbers dataset and saves the scenarios' two queries. */
  async seed(through: ApiProcess = this.api(0)): Promise<Seed> {
    const csv = ['x', ...Array.from({ length: DATASET_ROWS }, (_, i) => String(i))].join('\n');
    const dataset = await through.call('POST', '/v1/datasets?name=numbers', { body: csv, timeoutMs: 60_000 });
    if (dataset.status !== 201) throw new Error(`upload answered ${dataset.status}: ${dataset.text}`);
    const datasetId: string = dataset.json.dataset_id;
    const save = async (name: string, query: string) => {
      const saved = await through.call('POST', '/v1/save', { body: { name, query, dataset_id: datasetId } });
      if (saved.status !== 201) throw new Error(`save answered ${saved.status}: ${saved.text}`);
      return saved.json.query_id as string;
    };
    return {
      datasetId,
      fastQueryId: await save('fast', 'SELECT count(*) AS n FROM dataset WHERE x < $n'),
      workQueryId: await save(
        'work',
        'SELECT count(*) AS n FROM dataset a, dataset b WHERE a.x < $n AND (a.x * 7 + b.x) % 13 = 0',
      ),
    };
  }

  /** Each job's state as the API would report it, read from Redis in one pipeline. */
  async readJobs(jobIds: Iterable<string>): Promise<Map<string, JobSnapshot>> {
    const ids = [...jobIds];
    const snapshots = new Map<string, JobSnapshot>();
    for (let from = 0; from < ids.length; from += 500) {
      const batch = ids.slice(from, from + 500);
      const pipeline = this.admin.pipeline();
      for (const id of batch) pipeline.hmget(jobKey(this.prefix, id), ...JOB_STATUS_FIELDS);
      const replies = (await pipeline.exec()) ?? [];
      batch.forEach((id, i) => {
        const [error, values] = replies[i] ?? [null, []];
        if (error) throw error;
        const raw = Object.fromEntries(
          JOB_STATUS_FIELDS.map((field, j) => [field, (values as (string | null)[])[j] ?? null]),
        ) as RawJobFields;
        snapshots.set(id, {
          state: raw.data === null ? 'missing' : mapJobState(raw),
          started: Number(raw.ats ?? 0),
          failedReason: raw.failedReason,
        });
      });
    }
    return snapshots;
  }

  /** Waits until every job has ended (or the deadline passes), and returns their final snapshots. */
  async waitEnded(jobIds: Iterable<string>, timeoutMs: number): Promise<Map<string, JobSnapshot>> {
    const ids = [...jobIds];
    const until = Date.now() + timeoutMs;
    for (;;) {
      const snapshots = await this.readJobs(ids);
      const open = [...snapshots.values()].filter((s) => s.state !== 'succeeded' && s.state !== 'failed');
      if (open.length === 0 || Date.now() > until) return snapshots;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Every job id BullMQ holds for this prefix, in any state. */
  async allQueuedJobIds(): Promise<Set<string>> {
    const key = (suffix: string) => `${this.prefix}:${QUERY_QUEUE_NAME}:${suffix}`;
    const [wait, active, paused, prioritized, delayed, completed, failed] = await Promise.all([
      this.admin.lrange(key('wait'), 0, -1),
      this.admin.lrange(key('active'), 0, -1),
      this.admin.lrange(key('paused'), 0, -1),
      this.admin.zrange(key('prioritized'), 0, -1),
      this.admin.zrange(key('delayed'), 0, -1),
      this.admin.zrange(key('completed'), 0, -1),
      this.admin.zrange(key('failed'), 0, -1),
    ]);
    return new Set([...wait, ...active, ...paused, ...prioritized, ...delayed, ...completed, ...failed]);
  }

  /** Job ids in the creation index (written before the job itself). */
  async indexedJobIds(): Promise<Set<string>> {
    const members = await this.admin.zrange(jobIndexKeys.byCreation(this.prefix), 0, -1);
    return new Set(members.map((member) => member.split('|')[0] ?? ''));
  }

  /** Stops every process still running (SIGTERM), then returns their exit codes. */
  async stop(): Promise<(number | null)[]> {
    const all = [...this.apis.map((api) => api.process), ...this.workers];
    const codes = await Promise.all(
      all.map((p) =>
        Promise.race([
          p.stop('SIGTERM'),
          new Promise<null>((resolve) =>
            setTimeout(() => {
              p.child.kill('SIGKILL');
              resolve(null);
            }, 45_000).unref(),
          ),
        ]),
      ),
    );
    this.adminClient?.disconnect();
    await rm(this.dataDir, { recursive: true, force: true });
    return codes;
  }
}

/** Polls the API until `predicate` holds for a job, through whichever replica is given. */
export async function waitForJob(
  api: ApiProcess,
  jobId: string,
  predicate: (job: { status: string; [field: string]: unknown }) => boolean,
  timeoutMs = 60_000,
) {
  return waitFor(
    `job ${jobId}`,
    async () => {
      const res = await api.call('GET', `/v1/jobs/${jobId}`);
      return res.status === 200 && predicate(res.json) ? res.json : null;
    },
    timeoutMs,
    100,
  );
}
