/**
 * The glue a user would write instead of the service: a BullMQ Worker (same concurrency as
 * the service's) whose processor runs the job's SQL in DuckDB, one in-memory instance for
 * the process and a connection per job, and returns the rows as JSON.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { Worker } from 'bullmq';
import { rawConnection, rawSpec } from './raw-env';

async function main(): Promise<void> {
  const env = rawSpec();
  const sql = env.sql;
  if (!sql) throw new Error('argv[2] must give sql');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = rawConnection(env.redisUrl);
  const worker = new Worker(
    env.queue,
    async () => {
      const duck = await instance.connect();
      try {
        const reader = await duck.runAndReadAll(sql);
        const rows = reader.getRowsJson();
        return { columns: reader.columnNames(), rows, row_count: rows.length };
      } finally {
        duck.closeSync();
      }
    },
    { connection, prefix: env.prefix, concurrency: env.concurrency },
  );
  worker.on('error', (error) => console.error('raw duckdb worker error', error.message));
  await worker.waitUntilReady();
  console.log('raw worker ready');
  process.on('SIGTERM', () => {
    void worker.close().then(() => {
      connection.disconnect();
      instance.closeSync();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
