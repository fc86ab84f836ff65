import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance, listValue } from '@duckdb/node-api';
import { checkQuery } from './check-query';
import { ProgressConnectionPool } from './connection-pool';
import { describeParquet } from './describe-parquet';
import { toEngineError } from './duckdb-error';
import { EngineError } from './engine-error';
import type { Engine, EngineOptions } from './engine-types';
import { executeQuery } from './execute-query';
import { ingestDataset } from './ingest-dataset';
import { readResultPage, streamResultRows } from './read-result';
import { quoteLiteral } from './sql-quote';
import { vetSqlText } from './vet-sql';

const DEFAULT_PROGRESS_CONNECTIONS = 8;

/** The settings describeSettings reports: the sandbox and the limits. */
const REPORTED_SETTINGS = [
  'threads',
  'memory_limit',
  'max_temp_directory_size',
  'temp_directory',
  'enable_external_access',
  'lock_configuration',
  'autoload_known_extensions',
  'autoinstall_known_extensions',
];

/**
 * The sandbox, set once for the whole instance. Order matters: DuckDB refuses to move its
 * spill folder once external access is off. The spill folder sits inside the data folder
 * (rather than `.tmp` in the process's working directory) and DuckDB allows it by itself.
 * COPY ... TO a file inside an allowed directory still works with external access off, so
 * nothing wider than `allowed_directories` is needed to write Parquet.
 */
function sandboxSettings(dirs: readonly string[], tempDir: string, options: EngineOptions): string[] {
  const settings = [
    `SET GLOBAL temp_directory = ${quoteLiteral(tempDir)}`,
    `SET GLOBAL allowed_directories = [${dirs.map(quoteLiteral).join(', ')}]`,
    'SET GLOBAL enable_external_access = false',
    'SET GLOBAL autoinstall_known_extensions = false',
    'SET GLOBAL autoload_known_extensions = false',
  ];
  if (options.threads !== undefined) {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1) {
      throw new EngineError('internal', 'threads must be a positive integer.');
    }
    settings.push(`SET GLOBAL threads = ${options.threads}`);
  }
  if (options.memoryLimit !== undefined) {
    settings.push(`SET GLOBAL memory_limit = ${quoteLiteral(options.memoryLimit)}`);
  }
  if (options.maxTempSize !== undefined) {
    settings.push(`SET GLOBAL max_temp_directory_size = ${quoteLiteral(options.maxTempSize)}`);
  }
  return settings;
}

/** Opens a progress-reporting connection; this must happen before the configuration is locked. */
async function openProgressConnection(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  await connection.run('SET enable_progress_bar = true');
  await connection.run('SET enable_progress_bar_print = false');
  return connection;
}

/**
 * One in-memory DuckDB for the life of the process, sandboxed to `dataDir` and then locked
 * (no query can change a setting back). Each operation gets its own connection so concurrent
 * jobs never share temporary objects.
 */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  // DuckDB compares paths as written; allow both spellings when dataDir goes through a symlink.
  const dirs: string[] = [];
  for (const dir of [dataDir, ...(options.extraDirs ?? []).map((extra) => path.resolve(extra))]) {
    await mkdir(dir, { recursive: true });
    dirs.push(dir, await realpath(dir));
  }
  dirs.splice(0, dirs.length, ...new Set(dirs));
  const instance = await DuckDBInstance.create(':memory:');
  const pooled: DuckDBConnection[] = [];
  const setup = await instance.connect();
  try {
    const tempDir = path.resolve(options.tempDir ?? path.join(dataDir, '.duckdb-tmp'));
    for (const setting of sandboxSettings(dirs, tempDir, options)) await setup.run(setting);
    const count = options.progressConnections ?? DEFAULT_PROGRESS_CONNECTIONS;
    for (let i = 0; i < count; i += 1) pooled.push(await openProgressConnection(instance));
    await setup.run('SET GLOBAL lock_configuration = true');
  } catch (error) {
    for (const connection of [setup, ...pooled]) connection.closeSync();
    instance.closeSync();
    throw toEngineError(error, dirs);
  }
  setup.closeSync();

  const pool = new ProgressConnectionPool(instance, pooled);
  let closed = false;

  async function withConnection<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    if (closed) throw new EngineError('internal', 'The engine is closed.');
    const connection = await instance.connect();
    try {
      return await work(connection);
    } catch (error) {
      throw toEngineError(error, dirs);
    } finally {
      connection.closeSync();
    }
  }

  return {
    ingest: (ingestOptions) => withConnection((connection) => ingestDataset(connection, ingestOptions, dirs)),
    describeDataset: (datasetPath) =>
      withConnection(async (connection) => (await describeParquet(connection, datasetPath)).columns),
    vetSql: (sql) => withConnection((connection) => vetSqlText(connection, sql)),
    describeSettings: () =>
      withConnection(async (connection) => {
        const reader = await connection.runAndReadAll(
          'SELECT name, value FROM duckdb_settings() WHERE list_contains($names::VARCHAR[], name) ORDER BY name',
          { names: listValue(REPORTED_SETTINGS) },
        );
        return Object.fromEntries(reader.getRowsJson().map(([name, value]) => [String(name), String(value)]));
      }),
    checkQueryAgainstDataset: (sql, datasetPath) =>
      withConnection((connection) => checkQuery(connection, sql, datasetPath, dirs)),
    async execute(executeOptions) {
      if (closed) throw new EngineError('internal', 'The engine is closed.');
      const { connection, pooled: fromPool } = await pool.acquire().catch((error: unknown) => {
        throw toEngineError(error, dirs);
      });
      let clean = false;
      try {
        const result = await executeQuery(connection, executeOptions, dirs);
        clean = true;
        return result;
      } finally {
        await pool.release(connection, fromPool, clean);
      }
    },
    readResultPage: (resultPath, offset, limit) =>
      withConnection((connection) => readResultPage(connection, resultPath, offset, limit)),
    async *streamResult(resultPath) {
      if (closed) throw new EngineError('internal', 'The engine is closed.');
      const connection = await instance.connect();
      try {
        yield* streamResultRows(connection, resultPath);
      } catch (error) {
        throw toEngineError(error, dirs);
      } finally {
        connection.closeSync();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      pool.close();
      instance.closeSync();
    },
  };
}
