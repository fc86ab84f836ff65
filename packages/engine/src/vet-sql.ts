import type { DuckDBConnection } from '@duckdb/node-api';
import { asSentence } from './duckdb-error';
import { EngineError } from './engine-error';
import { inspectSqlTree } from './inspect-sql-tree';

export const MAX_SQL_LENGTH = 100_000;

interface SerializedSql {
  error?: boolean;
  error_type?: string;
  error_message?: string;
  position?: string;
  statements?: unknown[];
}

function parseError(result: SerializedSql): EngineError {
  if (result.error_type === 'parser') {
    const at = result.position === undefined ? '' : ` (at character ${Number(result.position) + 1})`;
    return new EngineError(
      'invalid_query',
      asSentence(`The SQL could not be parsed: ${result.error_message ?? 'syntax error'}${at}`),
    );
  }
  // "Only SELECT statements can be serialized to json!" and the like.
  return new EngineError('invalid_query', 'Only a read-only SELECT over the table "dataset" is allowed.');
}

/**
 * Parses `sql` with DuckDB's own parser (the text is bound as a parameter, never pasted into
 * SQL) and checks it is exactly one read-only SELECT (set operations and CTEs included)
 * over `dataset` that calls only allow-listed functions (function-allow-list.ts). Returns its
 * named parameters, sorted and unique.
 */
export async function vetSqlText(
  connection: DuckDBConnection,
  sql: string,
): Promise<{ parameters: string[] }> {
  if (sql.length > MAX_SQL_LENGTH) {
    throw new EngineError(
      'invalid_query',
      `The SQL is longer than ${MAX_SQL_LENGTH.toLocaleString('en')} characters.`,
    );
  }
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($sql::VARCHAR)', { sql });
  const serialized = reader.getRowsJson()[0]?.[0];
  const result = JSON.parse(typeof serialized === 'string' ? serialized : '{}') as SerializedSql;
  if (result.error) throw parseError(result);
  const statements = result.statements ?? [];
  if (statements.length === 0) {
    throw new EngineError('invalid_query', 'The SQL is empty; write one SELECT over the table "dataset".');
  }
  if (statements.length > 1) {
    throw new EngineError(
      'invalid_query',
      `Only one SQL statement is allowed, found ${statements.length}; remove the others.`,
    );
  }
  return inspectSqlTree(statements[0]);
}
