import type { DuckDBConnection } from '@duckdb/node-api';

/**
 * Polls DuckDB's progress for the query running on `connection` and reports it as an integer
 * that never decreases, between 0 and 99 (100 belongs to the caller, on success). DuckDB's
 * figure is -1 when unknown and not linear (a GROUP BY can sit at 50% and jump), so the
 * highest value seen is repeated on every tick: the caller hears once per interval.
 * Returns a function that stops the polling.
 */
export function startProgressMonitor(
  connection: DuckDBConnection,
  onProgress: ((percent: number) => void) | undefined,
  intervalMs: number,
): () => void {
  if (!onProgress) return () => {};
  let reported = 0;
  const report = () => {
    const { percentage } = connection.progress;
    if (Number.isFinite(percentage)) reported = Math.max(reported, Math.min(99, Math.floor(percentage)));
    try {
      onProgress(reported);
    } catch {
      // A failing listener must not fail the query.
    }
  };
  // The first report comes after one interval, not at once: a query that ends sooner (most
  // do) costs its caller no progress write at all.
  const timer = setInterval(report, Math.min(Math.max(intervalMs, 10), 1000));
  return () => clearInterval(timer);
}
