/**
 * Raw DuckDB, as a user gluing it in themselves would run it: one in-memory instance for
 * the life of the process (DuckDB's default threads and memory), a connection per task.
 * Driven over IPC by the harness; times each task itself, from before the SQL is sent to
 * after the rows are in JS values.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckdbReply, DuckdbTask } from './duckdb-protocol';

async function main(): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const send = (reply: DuckdbReply) => process.send?.(reply);
  process.on('message', (task: DuckdbTask) => {
    void (async () => {
      const connection = await instance.connect();
      try {
        const started = process.hrtime.bigint();
        let rows = 0;
        for (const sql of task.sql) {
          const reader = await connection.runAndReadAll(sql);
          rows = reader.getRows().length;
        }
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        send({ id: task.id, ok: true, ms, rows });
      } catch (error) {
        send({ id: task.id, ok: false, error: error instanceof Error ? error.message : String(error) });
      } finally {
        connection.closeSync();
      }
    })();
  });
  process.on('disconnect', () => {
    instance.closeSync();
    process.exit(0);
  });
  send({ id: 'ready', ok: true, ms: 0, rows: 0 });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
