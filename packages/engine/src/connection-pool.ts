import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { forgetDatasetView } from './dataset-view';
import { quoteIdentifier } from './sql-quote';

/** Every temporary table and view a connection holds (our `dataset` view, result tables). */
const TEMP_OBJECTS = `
  SELECT 'TABLE' AS kind, table_name AS name FROM duckdb_tables() WHERE temporary
  UNION ALL
  SELECT 'VIEW', view_name FROM duckdb_views() WHERE temporary AND NOT internal`;

async function dropTempObjects(connection: DuckDBConnection): Promise<void> {
  forgetDatasetView(connection);
  const reader = await connection.runAndReadAll(TEMP_OBJECTS);
  for (const [kind, name] of reader.getRowsJson()) {
    await connection.run(
      `DROP ${kind === 'VIEW' ? 'VIEW' : 'TABLE'} IF EXISTS temp.main.${quoteIdentifier(String(name))}`,
    );
  }
}

/**
 * Connections that report progress. `enable_progress_bar` is a per-connection setting that
 * cannot be set globally nor changed once the configuration is locked, so these are opened
 * and configured before the lock, and reused: a query runs on one at a time. A query that
 * ended well leaves only the `dataset` view, which the next may reuse; after one that failed,
 * every temporary object is dropped before the next takes the connection. When all are busy,
 * a fresh connection runs the query without progress (DuckDB then reports -1, and the caller
 * hears -1, not measured, until the end).
 */
export class ProgressConnectionPool {
  private idle: DuckDBConnection[];
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    connections: DuckDBConnection[],
  ) {
    this.idle = connections;
  }

  async acquire(): Promise<{ connection: DuckDBConnection; pooled: boolean }> {
    const idle = this.idle.pop();
    return idle
      ? { connection: idle, pooled: true }
      : { connection: await this.instance.connect(), pooled: false };
  }

  /**
   * Returns a connection to the pool, cleaned first unless its query ended well (`clean`);
   * one that cannot be cleaned, or a fresh one, is closed.
   */
  async release(connection: DuckDBConnection, pooled: boolean, clean: boolean): Promise<void> {
    if (pooled && !this.closed) {
      try {
        if (!clean) await dropTempObjects(connection);
        this.idle.push(connection);
        return;
      } catch {
        // Not reusable: closing it below frees whatever it held.
      }
    }
    connection.closeSync();
  }

  close(): void {
    this.closed = true;
    for (const connection of this.idle.splice(0)) connection.closeSync();
  }
}
