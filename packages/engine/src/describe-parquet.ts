import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnInfo } from './engine-types';
import { quoteIdentifier, quoteLiteral } from './sql-quote';

/** Names, DuckDB types and null counts of a Parquet file, with its row count: one scan. */
export async function describeParquet(
  connection: DuckDBConnection,
  path: string,
): Promise<{ rowCount: number; columns: ColumnInfo[] }> {
  const source = `read_parquet(${quoteLiteral(path)})`;
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const schema = described
    .getRowObjectsJson()
    .map((row) => ({ name: String(row.column_name), dtype: String(row.column_type) }));
  const counts = schema.map((column) => `count(${quoteIdentifier(column.name)})`);
  const totals = await connection.runAndReadAll(
    `SELECT ${['count(*)', ...counts].join(', ')} FROM ${source}`,
  );
  const [rowCount = 0, ...nonNull] = (totals.getRows()[0] ?? []).map((value) => Number(value));
  return {
    rowCount,
    columns: schema.map((column, index) => ({ ...column, null_count: rowCount - (nonNull[index] ?? 0) })),
  };
}
