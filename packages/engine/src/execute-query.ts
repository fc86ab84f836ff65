import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { type DuckDBConnection, type DuckDBMaterializedResult, StatementType } from '@duckdb/node-api';
import type { JsonValue } from '@repo/contracts';
import { bindParameters } from './bind-parameters';
import { createDatasetView } from './dataset-view';
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

/**
 * Column names made unique as DuckDB's CREATE TABLE AS makes them (case-insensitively, with
 * `_1`, `_2`, … per name), so the inline rows and a spilled file name their columns alike.
 */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  const suffixes = new Map<string, number>();
  return names.map((name) => {
    let candidate = name;
    while (used.has(candidate.toLowerCase())) {
      const suffix = (suffixes.get(name.toLowerCase()) ?? 0) + 1;
      suffixes.set(name.toLowerCase(), suffix);
      candidate = `${name}_${suffix}`;
    }
    used.add(candidate.toLowerCase());
    return candidate;
  });
}

/** The first `limit` rows of a materialized result, as JSON. */
function firstRows(result: DuckDBMaterializedResult, limit: number): JsonValue[][] {
  const types = result.columnTypes();
  const rows: JsonValue[][] = [];
  for (let i = 0; i < result.chunkCount && rows.length < limit; i += 1) {
    const chunkRows = result.getChunk(i).getRows();
    rows.push(...toJsonRows(chunkRows.slice(0, limit - rows.length), types));
  }
  return rows;
}

/**
 * Writes a materialized result to `spillPath` as Parquet, in its order: its chunks are
 * appended (no copy through JS values) to a temporary table that DuckDB then writes out,
 * through a temporary file renamed into place so no reader ever sees half a file.
 */
async function spill(
  connection: DuckDBConnection,
  result: DuckDBMaterializedResult,
  columns: readonly string[],
  spillPath: string,
  throwIfAborted: () => void,
): Promise<void> {
  const name = `spill_${randomBytes(8).toString('hex')}`;
  const types = result.columnTypes();
  const definitions = columns.map((column, i) => `${quoteIdentifier(column)} ${String(types[i])}`);
  const tmpPath = `${spillPath}.tmp-${randomBytes(6).toString('hex')}`;
  await connection.run(`CREATE TEMP TABLE ${quoteIdentifier(name)} (${definitions.join(', ')})`);
  try {
    const appender = await connection.createAppender(name, 'main', 'temp');
    try {
      for (let i = 0; i < result.chunkCount; i += 1) appender.appendDataChunk(result.getChunk(i));
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    throwIfAborted();
    await connection.run(`COPY ${quoteIdentifier(name)} TO ${quoteLiteral(tmpPath)} (FORMAT parquet)`);
    await rename(tmpPath, spillPath);
  } catch (error) {
    await rm(tmpPath, { force: true });
    throw error;
  } finally {
    await connection.run(`DROP TABLE IF EXISTS temp.main.${quoteIdentifier(name)}`);
  }
}

/**
 * Runs `sql` once, materialized inside DuckDB: the row count is known at once, only the
 * first `inlineRowLimit` rows are converted to JSON and, when there are more and `spillPath`
 * is set, the whole result is written there as Parquet. A small result costs one statement
 * (two when the connection last read another dataset). The connection is left as it was
 * found, but for the `dataset` view, which the next query on it may reuse.
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
  try {
    await createDatasetView(connection, options.datasetPath);
    // The newline ends a trailing `--` comment; prepare refuses more than one statement.
    const prepared = await connection.prepare(`${options.sql}\n`);
    let result: DuckDBMaterializedResult;
    try {
      // Only a query. (Vetting refuses anything else first; this holds even without it, as
      // a DROP or CREATE here would change a pooled connection for the queries after it.)
      if (prepared.statementType !== StatementType.SELECT) {
        throw new EngineError(
          'invalid_query',
          'Only a read-only SELECT over the table "dataset" is allowed.',
        );
      }
      await bindParameters(connection, prepared, options.params);
      throwIfAborted();
      result = await prepared.run();
    } finally {
      prepared.destroySync();
    }
    throwIfAborted();
    const rowCount = result.rowCount;
    if (options.maxRows !== undefined && rowCount > options.maxRows) {
      throw new EngineError(
        'query_error',
        `The result has ${rowCount} rows, more than this server keeps (${options.maxRows}); aggregate further or add a LIMIT`,
      );
    }
    const columns = uniqueColumnNames(result.columnNames());
    const answer: QueryResult = { columns, rows: firstRows(result, inlineRowLimit), rowCount };
    if (rowCount > inlineRowLimit && options.spillPath) {
      await spill(connection, result, columns, options.spillPath, throwIfAborted);
      answer.spilledTo = options.spillPath;
    }
    return answer;
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
