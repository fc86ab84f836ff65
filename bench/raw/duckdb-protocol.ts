/** One task for the raw DuckDB process: statements run in order on one fresh connection. */
export interface DuckdbTask {
  id: string;
  sql: string[];
}

export type DuckdbReply =
  | { id: string; ok: true; ms: number; rows: number }
  | { id: string; ok: false; error: string };
