import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { LOG_FORMATS } from './log-format';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const TENANT = /^[A-Za-z0-9_-]{1,64}$/;

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true');

const wholeNumber = (min: number, max: number) =>
  z.string().transform((v, ctx) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

const int = (fallback: number, min: number, max: number) => wholeNumber(min, max).default(fallback);

/** A size in DuckDB's syntax (e.g. 2GB); '' leaves DuckDB's own default. */
const duckdbSize = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(
      (v) => v === '' || /^\d+(\.\d+)?\s?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v),
      'expected a size like 2GB',
    );
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
};

/** A size like 4GB or 512MiB, as bytes. */
const byteSize = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const match = /^(\d+(?:\.\d+)?)\s?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.exec(v.trim());
      const bytes = match
        ? Math.floor(Number(match[1]) * (SIZE_UNITS[match[2]?.toUpperCase() ?? ''] ?? 0))
        : 0;
      if (!Number.isSafeInteger(bytes) || bytes < 64 * 2 ** 20) {
        ctx.addIssue({ code: 'custom', message: 'expected a size of at least 64MiB, like 4GB' });
        return z.NEVER;
      }
      return bytes;
    });
const onOff = z.enum(['on', 'off'], { error: 'expected on or off' });

export interface ApiKeyEntry {
  tenant: string;
  key: string;
}

/** `tenant:key,tenant:key`; keys shorter than 16 characters are refused as guessable. */
const apiKeys = z
  .string()
  .default('')
  .transform((raw, ctx): ApiKeyEntry[] => {
    const entries: ApiKeyEntry[] = [];
    for (const part of raw.split(',').map((p) => p.trim())) {
      if (part === '') continue;
      const colon = part.indexOf(':');
      const tenant = part.slice(0, colon);
      const key = part.slice(colon + 1);
      if (colon < 1 || !TENANT.test(tenant) || key.length < 16 || /\s/.test(key)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'expected tenant:key pairs separated by commas (tenant: letters, digits, _ or -; key: 16+ characters)',
        });
        return z.NEVER;
      }
      entries.push({ tenant, key });
    }
    return entries;
  });

const list = z
  .string()
  .default('')
  .transform((raw) =>
    raw
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
  );

/**
 * The whole environment of every process. One schema rather than one per app: the
 * processes share most variables, and a variable an app does not use costs nothing.
 */
export const ZEnvFields = z.object({
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine((v) => /^rediss?:\/\/[^\s]+$/.test(v), 'expected a redis:// or rediss:// URL'),
  REDIS_CLUSTER: bool(false),
  QUEUE_PREFIX: z
    .string()
    .default('{analytics}')
    .refine((v) => /^[A-Za-z0-9_{}.-]{1,64}$/.test(v), 'expected 1-64 letters, digits or _ { } . -'),
  PORT: int(3000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  API_KEYS: apiKeys,
  DATA_DIR: z
    .string()
    .min(1)
    .default('./.data')
    .transform((v) => (isAbsolute(v) ? v : resolve(v))),
  ASYNC_JOBS_ENABLED: bool(true),
  SYNC_WAIT_MS: int(30_000, 0, 600_000),
  WORKER_CONCURRENCY: int(2, 1, 256),
  WORKER_SHUTDOWN_GRACE_MS: int(30_000, 0, 3_600_000),
  /**
   * A worker holds a lock on each job it runs, renewed every half of this; a job whose
   * lock lapsed (its worker died) is handed to another worker by the next stall check,
   * run every WORKER_STALLED_INTERVAL_MS. Recovery from a dead worker takes at most the two added.
   */
  WORKER_LOCK_DURATION_MS: int(30_000, 1_000, 3_600_000),
  WORKER_STALLED_INTERVAL_MS: int(30_000, 1_000, 3_600_000),
  /**
   * How many times a job may be found stalled (its worker gone) and run again before BullMQ
   * fails it as `internal`: a query that kills its worker (out of memory) must not kill every
   * worker in turn, while one lost machine should not fail the jobs it held.
   */
  WORKER_MAX_STALLED_COUNT: int(1, 0, 100),
  JOB_ATTEMPTS: int(3, 1, 100),
  RESULT_TTL_SECONDS: int(86_400, 1, 31_536_000),
  RESULTS_INLINE_MAX_ROWS: int(1000, 1, 1_000_000),
  RESULT_MAX_ROWS: int(10_000_000, 1, Number.MAX_SAFE_INTEGER),
  RETENTION_SWEEP_INTERVAL_MS: int(60_000, 100, 86_400_000),
  /** A comment line on idle event streams, so proxies and clients keep them open. */
  SSE_KEEPALIVE_MS: int(15_000, 100, 600_000),
  WEBHOOK_ATTEMPTS: int(8, 1, 100),
  WEBHOOK_TIMEOUT_MS: int(10_000, 100, 120_000),
  QUERY_TIMEOUT_DEFAULT_MS: int(300_000, 1, 86_400_000),
  QUERY_TIMEOUT_MAX_MS: int(3_600_000, 1, 86_400_000),
  MAX_UPLOAD_BYTES: int(1_073_741_824, 1, Number.MAX_SAFE_INTEGER),
  /** Slow clients: the whole header block must arrive within this (Node's server.headersTimeout). */
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 1_000, 3_600_000),
  /** ...and the whole request, body included (server.requestTimeout); uploads need it long. */
  HTTP_REQUEST_TIMEOUT_MS: int(300_000, 1_000, 86_400_000),
  DUCKDB_THREADS: int(0, 0, 1024),
  DUCKDB_MEMORY_LIMIT: duckdbSize(''),
  /**
   * What DuckDB may write to its spill folder (inside DATA_DIR) per process. DuckDB's own
   * default is 90% of the free disk, which one query could fill for every tenant.
   */
  DUCKDB_MAX_TEMP_SIZE: duckdbSize('10GB'),
  /**
   * Every query, save-time check and upload conversion runs in a sandbox process of its own
   * tenant (see packages/engine's sandbox-process.ts). Past this resident size the process is
   * killed and its work fails, whatever DuckDB's own accounting says. With DUCKDB_MEMORY_LIMIT
   * unset, DuckDB inside gets 60% of it.
   */
  SANDBOX_MEMORY_MAX: byteSize('4GB'),
  /** Tenant sandbox processes one worker keeps (least recently used stopped first). */
  WORKER_SANDBOXES_MAX: int(8, 1, 1024),
  /** Wall-clock limit of one upload's conversion to Parquet. */
  CONVERT_TIMEOUT_MS: int(300_000, 1_000, 86_400_000),
  /** Wall-clock limit of binding a query to its dataset when it is saved. */
  QUERY_CHECK_TIMEOUT_MS: int(10_000, 100, 600_000),
  /**
   * JSON and NDJSON uploads: deepest nesting of arrays and objects accepted within a record.
   * DuckDB reads nested lists back ever slower (20 levels: ~0.4 s a row; 32: over a minute)
   * and fails past 127 (an INTERNAL error that breaks its database): 16 keeps both far off.
   */
  UPLOAD_MAX_DEPTH: int(16, 2, 1_000),
  /** NDJSON and CSV uploads: longest line accepted (DuckDB's own maximum is set to match). */
  UPLOAD_MAX_LINE_BYTES: int(8_388_608, 1_024, 1_073_741_824),
  /** A job whose result file would be larger fails with query_error (the file is removed). */
  RESULT_MAX_BYTES: int(1_073_741_824, 1_024, Number.MAX_SAFE_INTEGER),
  /** The inline page kept in Redis is cut to this much JSON; the rest is paged from the file. */
  RESULTS_INLINE_MAX_BYTES: int(1_048_576, 1_024, 1_073_741_824),
  /**
   * Unset: files live under DATA_DIR (one machine, or a shared volume). `s3://bucket/prefix`:
   * datasets and results live in that bucket and DATA_DIR is each process's own cache.
   */
  OBJECT_STORE_URL: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/, 'expected s3://<bucket>/<optional prefix>')
    .optional(),
  /** An S3-compatible endpoint (MinIO, Ceph, R2, a local server); unset: AWS. */
  S3_ENDPOINT: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'expected an http:// or https:// URL')
    .optional(),
  S3_FORCE_PATH_STYLE: bool(false),
  /** The workers' local copies of datasets from the object store, least recently used evicted. */
  DATASET_CACHE_MAX_BYTES: int(10_737_418_240, 0, Number.MAX_SAFE_INTEGER),
  /** How long a presigned result link (`?link=true`) stays valid. */
  RESULT_LINK_TTL_SECONDS: int(900, 60, 604_800),
  DASHBOARD_PORT: int(3001, 0, 65535),
  DASHBOARD_HOST: z.string().min(1).default('127.0.0.1'),
  /** Unset: the worker serves no HTTP. Set (0 picks a free port): /metrics, /healthz, /readyz. */
  WORKER_METRICS_PORT: wholeNumber(0, 65535).optional(),
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  DASHBOARD_USER: z.string().optional(),
  DASHBOARD_PASSWORD: z.string().optional(),
  DASHBOARD_AUTH: onOff.default('on'),
  DASHBOARD_READ_ONLY: bool(false),
  RATE_LIMIT_PER_SECOND: int(0, 0, 1_000_000),
  /** Unset means "same as RATE_LIMIT_PER_SECOND" (resolved in loadConfig). */
  RATE_LIMIT_BURST: wholeNumber(0, 1_000_000).optional(),
  /**
   * Failed API key checks one client address may make per 60 s before it gets 429. 30: far
   * more than a person mistyping or a client retrying a stale key, few enough that
   * guessing a hand-chosen API_KEYS key gets nowhere. 0 turns it off.
   */
  AUTH_FAILURES_PER_IP: int(30, 0, 1_000_000),
  MAX_ACTIVE_JOBS_PER_TENANT: int(0, 0, 1_000_000),
  MAX_DATASET_BYTES_PER_TENANT: int(0, 0, Number.MAX_SAFE_INTEGER),
  WEBHOOK_ALLOWED_HOSTS: list,
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  /** `auto`: readable lines on a terminal (pino-pretty), JSON lines otherwise; `json` or `pretty` to choose. */
  LOG_FORMAT: z.enum(LOG_FORMATS, { error: `expected one of ${LOG_FORMATS.join(', ')}` }).default('auto'),
});

export const ZEnv = ZEnvFields.superRefine((env, ctx) => {
  // Redis Cluster hashes a key by its first {tag}: a tag in the prefix keeps every key of the
  // product in one slot, as BullMQ's scripts and our MULTIs need (else CROSSSLOT errors).
  if (env.REDIS_CLUSTER && !/^[^{]*\{[^}]+\}/.test(env.QUEUE_PREFIX)) {
    ctx.addIssue({
      code: 'custom',
      path: ['QUEUE_PREFIX'],
      message:
        'with REDIS_CLUSTER=true it must hold a {hash tag}, like {analytics}, so that every key is in one slot',
    });
  }
  if (env.QUERY_TIMEOUT_DEFAULT_MS > env.QUERY_TIMEOUT_MAX_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['QUERY_TIMEOUT_DEFAULT_MS'],
      message: `must not exceed QUERY_TIMEOUT_MAX_MS (${env.QUERY_TIMEOUT_MAX_MS})`,
    });
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    ctx.addIssue({
      code: 'custom',
      path: ['HTTP_HEADERS_TIMEOUT_MS'],
      message: `must not exceed HTTP_REQUEST_TIMEOUT_MS (${env.HTTP_REQUEST_TIMEOUT_MS})`,
    });
  }
  // A burst below the rate would cap the rate itself; refused rather than guessed at.
  if (
    env.RATE_LIMIT_PER_SECOND > 0 &&
    env.RATE_LIMIT_BURST !== undefined &&
    env.RATE_LIMIT_BURST < env.RATE_LIMIT_PER_SECOND
  ) {
    ctx.addIssue({
      code: 'custom',
      path: ['RATE_LIMIT_BURST'],
      message: `must be at least RATE_LIMIT_PER_SECOND (${env.RATE_LIMIT_PER_SECOND})`,
    });
  }
  // A half-configured login is refused rather than guessed at (pg-boss does the same).
  if ((env.DASHBOARD_USER === undefined) !== (env.DASHBOARD_PASSWORD === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [env.DASHBOARD_USER === undefined ? 'DASHBOARD_USER' : 'DASHBOARD_PASSWORD'],
      message: 'DASHBOARD_USER and DASHBOARD_PASSWORD must be set together',
    });
  }
});
