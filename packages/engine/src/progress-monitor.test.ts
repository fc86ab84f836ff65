import type { DuckDBConnection } from '@duckdb/node-api';
import { PROGRESS_NOT_MEASURED, startProgressMonitor } from './progress-monitor';

/** A connection whose DuckDB figure is read from `figures`, one per tick (the last one stays). */
function connectionGiving(figures: number[]) {
  let tick = 0;
  return {
    get progress() {
      const percentage = figures[Math.min(tick, figures.length - 1)] ?? -1;
      tick += 1;
      return { percentage, rows_processed: 0n, total_rows_to_process: 0n };
    },
  } as unknown as DuckDBConnection;
}

function reportsOf(figures: number[]): number[] {
  const reports: number[] = [];
  const stop = startProgressMonitor(connectionGiving(figures), (p) => reports.push(p), 100);
  jest.advanceTimersByTime(100 * figures.length);
  stop();
  jest.advanceTimersByTime(1000);
  return reports;
}

describe('startProgressMonitor', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reports -1 until DuckDB measures, then integers below 100 that never decrease', () => {
    expect(reportsOf([-1, 0, 0, 0.4, 3.1, -1, 2, 57.9, 100])).toEqual([-1, -1, -1, 0, 3, 3, 3, 57, 99]);
    expect(PROGRESS_NOT_MEASURED).toBe(-1);
  });

  it('never reports a measurement when DuckDB gives -1 or an unmoving 0 throughout', () => {
    expect(reportsOf([-1, -1, -1])).toEqual([-1, -1, -1]);
    expect(reportsOf([0, 0, 0, 0])).toEqual([-1, -1, -1, -1]);
    expect(reportsOf([Number.NaN, -1])).toEqual([-1, -1]);
  });

  it('reports once per interval (at most a second), never at once, and survives a failing listener', () => {
    const reports: number[] = [];
    const stop = startProgressMonitor(
      connectionGiving([5]),
      (p) => {
        reports.push(p);
        throw new Error('listener failed');
      },
      60_000,
    );
    expect(reports).toEqual([]);
    jest.advanceTimersByTime(3_000);
    stop();
    expect(reports).toEqual([5, 5, 5]);
    expect(startProgressMonitor(connectionGiving([5]), undefined, 100)).toBeInstanceOf(Function);
  });
});
