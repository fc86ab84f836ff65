import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBPreparedStatement,
  type DuckDBType,
  StatementType,
} from '@duckdb/node-api';
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

/**
 * The most values (rows × columns) of a result held in this process to spill them: past it
 * the query runs again inside DuckDB as CREATE TABLE AS, whose table DuckDB keeps within its
 * memory limit. (A 100,000-group aggregation of two columns stays under it and runs once.)
 */
export const DEFAULT_HELD_VALUES_MAX = 2_000_000;

function interrupted(signal: AbortSignal): EngineError {
  const reason = typeof signal.reason === 'string' ? signal.reason : 'The query was interrupted.';
  return new EngineError('interrupted', reason);
}

/** Said as soon as the count passes the limit: the query is stopped there, not counted to its end. */
function tooManyRows(maxRows: number): EngineError {
  return new EngineError(
    'query_error',
    `The result has more than ${maxRows} rows, the most this server keeps; aggregate further or add a LIMIT`,
  );
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

/** The first `limit` rows of some chunks, as JSON. */
function firstRows(chunks: readonly DuckDBDataChunk[], types: DuckDBType[], limit: number): JsonValue[][] {
  const rows: JsonValue[][] = [];
  for (const chunk of chunks) {
    if (rows.length >= limit) break;
    rows.push(...toJsonRows(chunk.getRows().slice(0, limit - rows.length), types));
  }
  return rows;
}

/** The first rows whose JSON, row by row, fits `maxBytes` (at least none, at most all). */
export function rowsWithin(rows: JsonValue[][], maxBytes: number | undefined): JsonValue[][] {
  if (maxBytes === undefined) return rows;
  let bytes = 2;
  for (let i = 0; i < rows.length; i += 1) {
    bytes += Buffer.byteLength(JSON.stringify(rows[i])) + 1;
    if (bytes > maxBytes) return rows.slice(0, i);
  }
  return rows;
}

function tooManyBytes(size: number, maxBytes: number): EngineError {
  return new EngineError(
    'query_error',
    `The result takes ${size} bytes as Parquet, more than the ${maxBytes} this server keeps for one job (RESULT_MAX_BYTES); aggregate further, select fewer columns or add a LIMIT`,
  );
}

/**
 * Writes a temporary table as Parquet through a temporary file renamed into place, then
 * drops it. Returns the file's size; one over `maxBytes` is removed and fails the run.
 */
async function copyOut(
  connection: DuckDBConnection,
  table: string,
  spillPath: string,
  maxBytes: number | undefined,
): Promise<number> {
  const tmpPath = `${spillPath}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    // Made here rather than per job: only a result that spills needs its tenant's folder.
    await mkdir(dirname(spillPath), { recursive: true });
    await connection.run(`COPY temp.main.${table} TO ${quoteLiteral(tmpPath)} (FORMAT parquet)`);
    const { size } = await stat(tmpPath);
    if (maxBytes !== undefined && size > maxBytes) throw tooManyBytes(size, maxBytes);
    await rename(tmpPath, spillPath);
    return size;
  } catch (error) {
    await rm(tmpPath, { force: true });
    throw error;
  } finally {
    await connection.run(`DROP TABLE IF EXISTS temp.main.${table}`);
  }
}

/** Spills chunks held here: appended as they are (no JS values) to a table DuckDB writes out. */
async function spillChunks(
  connection: DuckDBConnection,
  chunks: readonly DuckDBDataChunk[],
  columns: readonly string[],
  types: readonly DuckDBType[],
  spillPath: string,
  maxBytes: number | undefined,
): Promise<number> {
  const name = `spill_${randomBytes(8).toString('hex')}`;
  const definitions = columns.map((column, i) => `${quoteIdentifier(column)} ${String(types[i])}`);
  await connection.run(`CREATE TEMP TABLE ${quoteIdentifier(name)} (${definitions.join(', ')})`);
  try {
    const appender = await connection.createAppender(name, 'main', 'temp');
    try {
      for (const chunk of chunks) appender.appendDataChunk(chunk);
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  } catch (error) {
    await connection.run(`DROP TABLE IF EXISTS temp.main.${quoteIdentifier(name)}`);
    throw error;
  }
  return copyOut(connection, quoteIdentifier(name), spillPath, maxBytes);
}

/**
 * Prepares `sql` with its parameters bound, only when it is the statement expected: the
 * query itself (SELECT), or our CREATE TABLE AS around it (which DuckDB accepts only around a
 * query). Vetting refuses anything else first; this holds even without it, as a DROP or
 * CREATE here would change a pooled connection for the queries after it. The newline ends a
 * trailing `--` comment.
 */
async function prepareQuery(
  connection: DuckDBConnection,
  sql: string,
  params: ExecuteOptions['params'],
  expected: StatementType = StatementType.SELECT,
): Promise<DuckDBPreparedStatement> {
  const prepared = await connection.prepare(`${sql}\n`);
  try {
    if (prepared.statementType !== expected) {
      throw new EngineError('invalid_query', 'Only a read-only SELECT over the table "dataset" is allowed.');
    }
    await bindParameters(connection, prepared, params);
    return prepared;
  } catch (error) {
    prepared.destroySync();
    throw error;
  }
}

/**
 * A result too large to hold here: the query runs again as CREATE TABLE AS, inside DuckDB,
 * which counts it, gives the first page and writes it out. (Its rows may come in another
 * order than the first run's when the query has no ORDER BY, so all are taken from here.)
 */
async function runIntoTable(
  connection: DuckDBConnection,
  options: ExecuteOptions,
  spillPath: string,
  throwIfAborted: () => void,
): Promise<QueryResult> {
  const table = quoteIdentifier(`result_${randomBytes(8).toString('hex')}`);
  const prepared = await prepareQuery(
    connection,
    `CREATE TEMP TABLE ${table} AS ${options.sql}`,
    options.params,
    StatementType.CREATE,
  );
  try {
    throwIfAborted();
    const created = await prepared.run();
    const rowCount = Number(created.getChunk(0).getRows()[0]?.[0] ?? 0);
    if (options.maxRows !== undefined && rowCount > options.maxRows) throw tooManyRows(options.maxRows);
    const page = await connection.runAndReadAll(
      `SELECT * FROM temp.main.${table} LIMIT ${options.inlineRowLimit}`,
    );
    const result: QueryResult = {
      columns: page.columnNames(),
      rows: rowsWithin(toJsonRows(page.getRows(), page.columnTypes()), options.inlineMaxBytes),
      rowCount,
      spilledTo: spillPath,
    };
    throwIfAborted();
    result.spilledBytes = await copyOut(connection, table, spillPath, options.maxResultBytes);
    return result;
  } finally {
    prepared.destroySync();
    await connection.run(`DROP TABLE IF EXISTS temp.main.${table}`);
  }
}

/**
 * Runs `sql`, streamed from DuckDB: a result of at most `inlineRowLimit` rows (most are) costs
 * one statement, converted to JSON here. A larger one is counted and, when `spillPath` is
 * set, written there as Parquet: from the chunks held here up to DEFAULT_HELD_VALUES_MAX
 * values, else by running the query again into a table inside DuckDB (bounded by its memory
 * limit, spilled to disk past it). The connection is left as it was found, but for the
 * `dataset` view, which the next query on it may reuse.
 */
export async function executeQuery(
  connection: DuckDBConnection,
  options: ExecuteOptions,
  dirs: readonly string[],
): Promise<QueryResult> {
  const { signal, inlineRowLimit, spillPath, maxRows } = options;
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
    const prepared = await prepareQuery(connection, options.sql, options.params);
    const held: DuckDBDataChunk[] = [];
    let rowCount = 0;
    let columns: string[];
    let types: DuckDBType[];
    let heldRowsMax: number;
    try {
      throwIfAborted();
      const stream = await prepared.stream();
      columns = uniqueColumnNames(stream.columnNames());
      types = stream.columnTypes();
      heldRowsMax = Math.max(
        options.heldRowsMax ?? Math.floor(DEFAULT_HELD_VALUES_MAX / Math.max(columns.length, 1)),
        inlineRowLimit,
      );
      for (;;) {
        const chunk = await stream.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        rowCount += chunk.rowCount;
        if (maxRows !== undefined && rowCount > maxRows) throw tooManyRows(maxRows);
        // Past the first page, rows are held only to be spilled; without a spill, only counted.
        if (rowCount - chunk.rowCount < inlineRowLimit || (spillPath && rowCount <= heldRowsMax)) {
          held.push(chunk);
        } else if (spillPath) {
          // Too many to hold: the rest of this run is abandoned (the next statement ends it).
          held.length = 0;
          break;
        }
      }
    } finally {
      prepared.destroySync();
    }
    throwIfAborted();
    if (spillPath && rowCount > heldRowsMax) {
      return await runIntoTable(connection, options, spillPath, throwIfAborted);
    }
    const rows = rowsWithin(firstRows(held, types, inlineRowLimit), options.inlineMaxBytes);
    const result: QueryResult = { columns, rows, rowCount };
    // Held chunks are every row whenever rowCount <= heldRowsMax, so a page cut short by its
    // bytes can still be spilled whole.
    if (rowCount > rows.length && spillPath) {
      result.spilledBytes = await spillChunks(
        connection,
        held,
        columns,
        types,
        spillPath,
        options.maxResultBytes,
      );
      result.spilledTo = spillPath;
    }
    return result;
  } catch (error) {
    if (signal?.aborted) throw interrupted(signal);
    // The paths we were given may lie outside the data folder (a misconfiguration): never shown.
    throw toEngineError(error, [...dirs, options.datasetPath, ...(spillPath ? [spillPath] : [])]);
  } finally {
    clearInterval(reinterrupt);
    stopProgress();
    signal?.removeEventListener('abort', onAbort);
  }
}
