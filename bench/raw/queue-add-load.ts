/**
 * Raw BullMQ producer load: `concurrency` loops, each awaiting `Queue.add` in turn for
 * `durationMs`. The last stdout line is a LoadResult, like the autocannon child's.
 */
import { Queue } from 'bullmq';
import { latencySummary } from '../lib/stats';
import type { LoadResult } from '../load/load-types';
import { RAW_JOB_NAME, RAW_JOB_OPTIONS, rawConnection, rawSpec } from './raw-env';

async function main(): Promise<void> {
  const env = rawSpec();
  const durationMs = env.durationMs ?? 1000;
  const payload = env.payload ?? {};
  const connection = rawConnection(env.redisUrl);
  const queue = new Queue(env.queue, { connection, prefix: env.prefix });
  await queue.waitUntilReady();
  const durations: number[] = [];
  let errors = 0;
  const started = process.hrtime.bigint();
  const deadline = Date.now() + durationMs;
  const loop = async () => {
    while (Date.now() < deadline) {
      const t0 = process.hrtime.bigint();
      try {
        await queue.add(RAW_JOB_NAME, payload, RAW_JOB_OPTIONS);
        durations.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: env.concurrency }, loop));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result: LoadResult = {
    ok: durations.length,
    non2xx: 0,
    errors,
    timeouts: 0,
    seconds,
    rps: durations.length / seconds,
    latency: latencySummary(durations),
  };
  await queue.close();
  connection.disconnect();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
