import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createEngine } from './create-engine';
import { EngineError } from './engine-error';
import type {
  ExecuteOptions,
  IngestOptions,
  IngestResult,
  QueryResult,
  SandboxedEngine,
} from './engine-types';
import { SandboxPool } from './sandbox-pool';
import type { RequestOptions } from './sandbox-process';

/** A sandbox idle this long stops (the next request of its tenant starts another, ~0.4 s). */
const DEFAULT_IDLE_MS = 60_000;

export interface SandboxedEngineOptions {
  /** The data folder: results are read here; tenants' folders lie below it. */
  dataDir: string;
  /**
   * The folders a tenant's queries and conversions may reach: its own folder, then its copies
   * in a dataset cache, if any.
   */
  tenantDirs: (tenant: string) => string[];
  threads?: number;
  /** DuckDB's own limit in each sandbox; default 60% of memoryMaxBytes. */
  memoryLimit?: string;
  maxTempSize?: string;
  /** A sandbox process whose resident memory passes this is killed (SANDBOX_MEMORY_MAX). */
  memoryMaxBytes: number;
  /** Sandbox processes kept (WORKER_SANDBOXES_MAX). */
  maxProcesses: number;
  /** Progress-reporting connections in each sandbox: the queries it may run at once with progress. */
  progressConnections?: number;
  idleMs?: number;
}

const megabytes = (bytes: number) => `${Math.floor(bytes / 1e6)} MB`;

/**
 * The engine the API and workers use. Work that runs a tenant's SQL or reads a tenant's
 * upload runs in that tenant's sandbox process (sandbox-pool.ts), whose DuckDB can reach
 * that tenant's folder only: whatever SQL gets there, it finds nothing of another tenant's.
 * Work on server-chosen files (vetting SQL text, reading a result file) runs here.
 */
export async function createSandboxedEngine(options: SandboxedEngineOptions): Promise<SandboxedEngine> {
  const dataDir = path.resolve(options.dataDir);
  const memoryLimit = options.memoryLimit ?? `${Math.floor((options.memoryMaxBytes * 0.6) / 2 ** 20)}MiB`;
  // The same limits as the sandboxes', so describeSettings tells operators what queries get.
  const local = await createEngine({
    dataDir,
    threads: options.threads,
    memoryLimit,
    maxTempSize: options.maxTempSize,
    progressConnections: 0,
  });
  const tempRoot = path.join(dataDir, '.duckdb-tmp');
  await mkdir(tempRoot, { recursive: true });
  const pool = new SandboxPool({
    tenantDirs: (tenant) => options.tenantDirs(tenant).map((dir) => path.resolve(dir)),
    tempRoot,
    engine: {
      threads: options.threads,
      memoryLimit,
      maxTempSize: options.maxTempSize,
      progressConnections: options.progressConnections ?? 0,
    },
    memoryMaxBytes: options.memoryMaxBytes,
    maxProcesses: options.maxProcesses,
    idleMs: options.idleMs ?? DEFAULT_IDLE_MS,
  });
  await pool.removeStaleTempDirs();
  const memory = megabytes(options.memoryMaxBytes);

  async function inSharedSandbox<T>(
    tenant: string,
    run: (sandbox: ReturnType<SandboxPool['shared']>) => Promise<T>,
  ): Promise<T> {
    const sandbox = pool.shared(tenant);
    try {
      return await run(sandbox);
    } finally {
      pool.settle(sandbox);
    }
  }

  return {
    vetSql: (sql) => local.vetSql(sql),
    describeSettings: () => local.describeSettings(),
    readResultPage: (resultPath, offset, limit) => local.readResultPage(resultPath, offset, limit),
    streamResult: (resultPath) => local.streamResult(resultPath),

    async ingest(tenant: string, ingestOptions: IngestOptions, timeoutMs: number): Promise<IngestResult> {
      const sandbox = pool.exclusive(tenant);
      let clean = false;
      try {
        const result = await sandbox.request<IngestResult>(
          { op: 'ingest', options: ingestOptions },
          {
            timeoutMs,
            timeoutError: () =>
              new EngineError(
                'invalid_dataset',
                `Converting the file took longer than ${timeoutMs / 1000} s (CONVERT_TIMEOUT_MS); split it or simplify its structure.`,
              ),
            memoryError: () =>
              new EngineError(
                'invalid_dataset',
                `Converting the file needed more than ${memory} of memory (SANDBOX_MEMORY_MAX); split it or simplify its structure.`,
              ),
          },
        );
        clean = true;
        return result;
      } catch (error) {
        // A file refused for its content leaves a sound engine; anything else, a fresh one.
        clean = error instanceof EngineError && error.code === 'invalid_dataset' && sandbox.alive;
        throw error;
      } finally {
        pool.release(sandbox, clean);
      }
    },

    checkQueryAgainstDataset: (tenant, sql, datasetPath, timeoutMs) =>
      inSharedSandbox(tenant, (sandbox) =>
        sandbox.request<{ columns: string[] }>(
          { op: 'check', sql, datasetPath },
          {
            timeoutMs,
            timeoutError: () =>
              new EngineError(
                'invalid_query',
                `Checking the query against its dataset took longer than ${timeoutMs} ms (QUERY_CHECK_TIMEOUT_MS); simplify its constant expressions.`,
              ),
            memoryError: () =>
              new EngineError(
                'invalid_query',
                `Checking the query against its dataset needed more than ${memory} of memory (SANDBOX_MEMORY_MAX); simplify its constant expressions.`,
              ),
          },
        ),
      ),

    execute: (tenant: string, executeOptions: ExecuteOptions): Promise<QueryResult> =>
      inSharedSandbox(tenant, (sandbox) => {
        const { signal, onProgress, ...rest } = executeOptions;
        const request: RequestOptions = {
          signal,
          onProgress,
          memoryError: () =>
            new EngineError(
              'query_error',
              `The query needed more than ${memory} of memory, the most one query may use here (SANDBOX_MEMORY_MAX); filter or aggregate further`,
            ),
        };
        return sandbox.request<QueryResult>(
          { op: 'execute', options: { ...rest, progress: onProgress !== undefined } },
          request,
        );
      }),

    get sandboxes() {
      return pool.size;
    },

    async close() {
      await pool.close();
      await local.close();
    },
  };
}
