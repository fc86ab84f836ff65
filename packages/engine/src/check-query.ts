import type { DuckDBConnection } from '@duckdb/node-api';
import { createDatasetView } from './dataset-view';
import { cleanDuckDBMessage, parseDuckDBError, unknownColumnOf } from './duckdb-error';
import { EngineError } from './engine-error';

/** How many of the dataset's columns an "unknown column" message lists. */
const LISTED_COLUMNS = 50;

async function unknownColumnError(
  connection: DuckDBConnection,
  column: string,
  cause: unknown,
): Promise<EngineError> {
  const described = await connection.runAndReadAll('SELECT column_name FROM (DESCRIBE dataset)');
  const names = described.getRowsJson().map((row) => String(row[0]));
  const listed = names.slice(0, LISTED_COLUMNS).join(', ') + (names.length > LISTED_COLUMNS ? ', ...' : '');
  return new EngineError(
    'invalid_query',
    `Column "${column}" does not exist in the dataset; its columns are: ${listed}.`,
    {
      details: [column],
      cause,
    },
  );
}

/**
 * Binds `sql` against the dataset's columns without running it (DuckDB's prepare), so an
 * unknown column or a type mismatch is reported when a query is saved, not when it runs.
 */
export async function checkQuery(
  connection: DuckDBConnection,
  sql: string,
  datasetPath: string,
  dirs: readonly string[],
): Promise<{ columns: string[] }> {
  await createDatasetView(connection, datasetPath);
  let prepared: Awaited<ReturnType<DuckDBConnection['prepare']>>;
  try {
    prepared = await connection.prepare(sql);
  } catch (error) {
    const { text } = parseDuckDBError(error);
    const column = unknownColumnOf(text);
    if (column !== undefined) throw await unknownColumnError(connection, column, error);
    throw new EngineError(
      'invalid_query',
      cleanDuckDBMessage(text, dirs) || 'The query does not fit the dataset.',
      {
        cause: error,
      },
    );
  }
  try {
    return {
      columns: Array.from({ length: prepared.columnCount }, (_, index) => prepared.columnName(index)),
    };
  } finally {
    prepared.destroySync();
  }
}
