import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { JsonValue } from '@repo/contracts';
import { EngineError } from './engine-error';
import { quoteLiteral } from './sql-quote';
import { toJsonValue } from './to-json-value';

/** DuckDB rows as JSON rows, converted by each column's type. */
export function toJsonRows(rows: DuckDBValue[][], types: DuckDBType[]): JsonValue[][] {
  return rows.map((row) =>
    row.map((value, index) => {
      const type = types[index];
      return type ? toJsonValue(value, type) : null;
    }),
  );
}

/** Row order is the order the query wrote: DuckDB preserves insertion order in Parquet. */
function resultSource(path: string): string {
  return `read_parquet(${quoteLiteral(path)})`;
}

/** One page of a spilled result, rows `offset` to `offset + limit - 1`. */
export async function readResultPage(
  connection: DuckDBConnection,
  path: string,
  offset: number,
  limit: number,
): Promise<{ columns: string[]; rows: JsonValue[][] }> {
  if (![offset, limit].every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new EngineError('internal', 'offset and limit must be non-negative integers.');
  }
  const reader = await connection.runAndReadAll(
    `SELECT * FROM ${resultSource(path)} LIMIT ${limit} OFFSET ${offset}`,
  );
  return { columns: reader.columnNames(), rows: toJsonRows(reader.getRows(), reader.columnTypes()) };
}

/**
 * A spilled result, chunk by chunk (DuckDB's vectors, about 2,048 rows), so a caller can
 * stream any size with bounded memory and stop early.
 */
export async function* streamResultRows(
  connection: DuckDBConnection,
  path: string,
): AsyncGenerator<{ columns: string[]; rows: JsonValue[][] }> {
  const result = await connection.stream(`SELECT * FROM ${resultSource(path)}`);
  const columns = result.columnNames();
  const types = result.columnTypes();
  for await (const rows of result.yieldRows()) {
    yield { columns, rows: toJsonRows(rows, types) };
  }
}
