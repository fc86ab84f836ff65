/** Data the tests of several packages share. */

/** A CSV of one integer column `x`: 0 … rows-1. */
export function numbersCsv(rows: number): string {
  return ['x', ...Array.from({ length: rows }, (_, i) => String(i))].join('\n');
}

/** The seed's sales: two regions over two months. */
export const SALES_CSV = [
  'region,revenue,month',
  'North,20000.25,2024-05',
  'South,15000.00,2024-05',
  'North,28320.25,2024-05',
  'South,16205.00,2024-05',
  'North,99999.99,2024-04',
  '',
].join('\n');

/**
 * Over `numbersCsv(30_000)`: a self cross join that keeps one DuckDB thread busy for seconds,
 * with rising progress — a job that is still running when a test acts on it.
 */
export const SLOW_SQL = 'SELECT count(*) AS n FROM dataset a, dataset b WHERE (a.x * 7 + b.x) % 13 = 0';
