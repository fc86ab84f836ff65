import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { bindParameters } from './bind-parameters';
import { toEngineError } from './duckdb-error';
import { EngineError } from './engine-error';
import type { ExecuteOptions, QueryResult } from './engine-types';
import { startProgressMonitor } from './progress-monitor';
import { toJsonRows } from './read-result';
import { quoteIdentifier, quoteLiteral } from './sql-quote';

/** How often an aborted query is interrupted again, in case the first interrupt came too early. */
const REINTERRUPT_MS = 20;

function interrupted(signal: AbortSignal): EngineError {
  const reason = typeof signal.reason === 'string' ? signal.reason : 'The query was interrupted.';
  return new EngineError('interrupted', reason);
}

/** Creates the temporary view `dataset` over the Parquet file, the only table a query sees. */
export async function createDatasetView(connection: DuckDBConnection, datasetPath: string): Promise<void> {
  await connection.run(
    `CREATE OR REPLACE TEMP VIEW dataset AS SELECT * FROM read_parquet(${quoteLiteral(datasetPath)})`,
  );
}

async function spill(connection: DuckDBConnection, table: string, spillPath: string): Promise<void> {
  const tmpPath = `${spillPath}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    await connection.run(`COPY ${table} TO ${quoteLiteral(tmpPath)} (FORMAT parquet)`);
    await rename(tmpPath, spillPath);
  } catch (error) {
    await rm(tmpPath, { force: true });
    throw error;
  }
}

/**
 * Runs `sql` once, as `CREATE TEMP TABLE <unique> AS <sql>`, then counts the table, converts
 * only its first `inlineRowLimit` rows to JSON and, when there are more and `spillPath` is set,
 * has DuckDB write the whole table there as Parquet. Insertion order is preserved, so the
 * first rows are those the query's ORDER BY puts first. The caller drops the table and view.
 */
export async function executeQuery(
  connection: DuckDBConnection,
  options: ExecuteOptions,
  dirs: readonly string[],
): Promise<QueryResult> {
  const { signal, inlineRowLimit } = options;
  if (!Number.isSafeInteger(inlineRowLimit) || inlineRowLimit < 0) {
    throw new EngineError('internal', 'inlineRowLimit must be a non-negative integer.');
  }
  if (signal?.aborted) throw interrupted(signal);
  const throwIfAborted = () => {
    if (signal?.aborted) throw interrupted(signal);
  };
  // DuckDB forgets an interrupt that arrives before a statement has started (each statement
  // clears the flag), so once aborted we interrupt again until the statement in flight ends.
  let reinterrupt: NodeJS.Timeout | undefined;
  const onAbort = () => {
    connection.interrupt();
    reinterrupt = setInterval(() => connection.interrupt(), REINTERRUPT_MS);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const stopProgress = startProgressMonitor(
    connection,
    options.onProgress,
    options.progressIntervalMs ?? 500,
  );
  const table = quoteIdentifier(`result_${randomBytes(8).toString('hex')}`);
  try {
    await createDatasetView(connection, options.datasetPath);
    // The newline ends a trailing `--` comment; prepare refuses more than one statement.
    const prepared = await connection.prepare(`CREATE TEMP TABLE ${table} AS ${options.sql}\n`);
    try {
      await bindParameters(connection, prepared, options.params);
      throwIfAborted();
      await prepared.run();
    } finally {
      prepared.destroySync();
    }
    throwIfAborted();
    const counted = await connection.runAndReadAll(`SELECT count(*) FROM ${table}`);
    const rowCount = Number(counted.getRows()[0]?.[0] ?? 0);
    if (options.maxRows !== undefined && rowCount > options.maxRows) {
      throw new EngineError(
        'query_error',
        `The result has ${rowCount} rows, more than this server keeps (${options.maxRows}); aggregate further or add a LIMIT`,
      );
    }
    const page = await connection.runAndReadAll(`SELECT * FROM ${table} LIMIT ${inlineRowLimit}`);
    throwIfAborted();
    const rows = toJsonRows(page.getRows(), page.columnTypes());
    const result: QueryResult = { columns: page.columnNames(), rows, rowCount };
    if (rowCount > inlineRowLimit && options.spillPath) {
      await spill(connection, table, options.spillPath);
      result.spilledTo = options.spillPath;
    }
    return result;
  } catch (error) {
    if (signal?.aborted) throw interrupted(signal);
    // The paths we were given may lie outside the data folder (a misconfiguration): never shown.
    throw toEngineError(error, [
      ...dirs,
      options.datasetPath,
      ...(options.spillPath ? [options.spillPath] : []),
    ]);
  } finally {
    clearInterval(reinterrupt);
    stopProgress();
    signal?.removeEventListener('abort', onAbort);
  }
}
