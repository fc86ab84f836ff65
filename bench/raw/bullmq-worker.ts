/**
 * Raw BullMQ: a Worker with a trivial processor (it returns a one-row result at once),
 * the same concurrency as the service's worker, on the same Redis.
 */
import { Worker } from 'bullmq';
import { rawConnection, rawSpec } from './raw-env';

async function main(): Promise<void> {
  const env = rawSpec();
  const connection = rawConnection(env.redisUrl);
  const worker = new Worker(env.queue, async () => ({ columns: ['n'], rows: [[1]], row_count: 1 }), {
    connection,
    prefix: env.prefix,
    concurrency: env.concurrency,
  });
  worker.on('error', (error) => console.error('raw worker error', error.message));
  await worker.waitUntilReady();
  console.log('raw worker ready');
  process.on('SIGTERM', () => {
    void worker.close().then(() => {
      connection.disconnect();
      process.exit(0);
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
