/**
 * Load generator, run in its own process so it never shares an event loop with what it
 * measures. argv[2] is a JSON LoadSpec; the last stdout line is a JSON LoadResult.
 * Latencies are taken from autocannon's per-response durations (sub-millisecond), not
 * its histogram, which rounds to whole milliseconds.
 */
import autocannon from 'autocannon';
import { latencySummary } from '../lib/stats';
import type { LoadResult, LoadSpec } from './load-types';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const durations: number[] = [];
  let ok = 0;
  let non2xx = 0;
  const started = process.hrtime.bigint();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        // autocannon spreads the connections over several URLs; its types know only one.
        url: (spec.urls.length === 1 ? (spec.urls[0] ?? '') : spec.urls) as string,
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        connections: spec.connections,
        pipelining: 1,
        duration: spec.durationSec,
        timeout: 10,
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok += 1;
        durations.push(responseTime);
      } else {
        non2xx += 1;
      }
    });
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const out: LoadResult = {
    ok,
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds,
    rps: ok / seconds,
    latency: latencySummary(durations),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
