import type { DuckDBConnection } from '@duckdb/node-api';

/** What the monitor reports while DuckDB has measured nothing for the query (its own "unknown"). */
export const PROGRESS_NOT_MEASURED = -1;

/**
 * Polls DuckDB's progress for the query running on `connection` and reports it on every tick:
 * PROGRESS_NOT_MEASURED (-1) until DuckDB has given a percentage above 0, then an integer
 * 0..99 that never decreases (100 belongs to the caller, on success).
 *
 * DuckDB's figure is -1 on a connection without progress (every pooled one busy) and for
 * queries it cannot estimate (a scan of range(), some joins), and sits at 0 on others that it
 * never moves (a recursive CTE): neither is a measurement, so neither is reported as 0%.
 * Once it has moved, it is not linear (a GROUP BY can sit at 50% and jump) and can fall back
 * to -1 between pipelines, so the highest value seen is repeated: the caller hears once per
 * interval. Returns a function that stops the polling.
 */
export function startProgressMonitor(
  connection: DuckDBConnection,
  onProgress: ((percent: number) => void) | undefined,
  intervalMs: number,
): () => void {
  if (!onProgress) return () => {};
  let reported = PROGRESS_NOT_MEASURED;
  const report = () => {
    const { percentage } = connection.progress;
    if (Number.isFinite(percentage) && (percentage > 0 || reported >= 0)) {
      reported = Math.max(reported, Math.min(99, Math.floor(percentage)));
    }
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
