import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteLiteral } from './sql-quote';

/** The dataset each connection's `dataset` view reads, so that a reused connection keeps it. */
const viewOf = new WeakMap<DuckDBConnection, string>();

/** Points the temporary view `dataset`, the only table a query sees, at the Parquet file. */
export async function createDatasetView(connection: DuckDBConnection, datasetPath: string): Promise<void> {
  if (viewOf.get(connection) === datasetPath) return;
  viewOf.delete(connection);
  await connection.run(
    `CREATE OR REPLACE TEMP VIEW dataset AS SELECT * FROM read_parquet(${quoteLiteral(datasetPath)})`,
  );
  viewOf.set(connection, datasetPath);
}

/** After the connection's temporary objects were dropped: the next query creates the view again. */
export function forgetDatasetView(connection: DuckDBConnection): void {
  viewOf.delete(connection);
}
