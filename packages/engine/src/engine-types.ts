import type { JsonValue } from '@repo/contracts';

/** How an upload is encoded; `json` is one array of objects, `ndjson` one object per line. */
export type DatasetFormat = 'csv' | 'ndjson' | 'json' | 'parquet';

export interface ColumnInfo {
  name: string;
  /** DuckDB's type name, e.g. VARCHAR, BIGINT, DOUBLE, DATE, STRUCT(a INTEGER). */
  dtype: string;
  null_count: number;
}

export interface EngineOptions {
  /** The only folder DuckDB may read or write: datasets, uploads and spilled results live under it. */
  dataDir: string;
  threads?: number;
  /** DuckDB syntax, e.g. "2GB". */
  memoryLimit?: string;
  /** The most DuckDB may spill to its temp folder, DuckDB syntax; unset: DuckDB's default. */
  maxTempSize?: string;
  /** More folders DuckDB may read and write (a tenant's copies in the workers' dataset cache). */
  extraDirs?: string[];
  /** DuckDB's spill folder; default `<dataDir>/.duckdb-tmp`. A sandbox gets one of its own. */
  tempDir?: string;
  /**
   * Connections prepared at start-up with progress reporting on (see create-engine.ts for why
   * they cannot be opened later). More concurrent executes than this still run, without progress.
   * Default 8.
   */
  progressConnections?: number;
}

export interface IngestOptions {
  sourcePath: string;
  format: DatasetFormat;
  targetPath: string;
  /** The longest CSV line or JSON record DuckDB reads (UPLOAD_MAX_LINE_BYTES); default DuckDB's. */
  maxLineBytes?: number;
}

export interface IngestResult {
  rowCount: number;
  columns: ColumnInfo[];
  sizeBytes: number;
}

export interface ExecuteOptions {
  sql: string;
  params: Record<string, JsonValue>;
  datasetPath: string;
  /** Rows converted to JSON and returned; the rest is counted (and spilled when spillPath is set). */
  inlineRowLimit: number;
  /** Where the whole result goes as Parquet when it has more rows than inlineRowLimit. */
  spillPath?: string;
  /** A result with more rows fails with query_error before anything is written. */
  maxRows?: number;
  /** A spilled file larger than this is removed and the run fails with query_error. */
  maxResultBytes?: number;
  /**
   * The inline rows are cut to this much JSON (they are kept in Redis); the rest is read
   * from the spilled file, which is then written however few rows the result has.
   */
  inlineMaxBytes?: number;
  /**
   * The most rows held in memory to spill a result; a larger one runs again as CREATE TABLE
   * AS inside DuckDB (default: DEFAULT_HELD_VALUES_MAX values over the result's columns;
   * tests set it low).
   */
  heldRowsMax?: number;
  signal?: AbortSignal;
  /**
   * -1 while DuckDB has measured nothing (no progress connection free, or a query it gives no
   * figure for), then an integer 0..99 that never decreases, at least once a second while the
   * query runs.
   */
  onProgress?: (percent: number) => void;
  /** Default 500; at most 1000. */
  progressIntervalMs?: number;
}

export interface QueryResult {
  columns: string[];
  rows: JsonValue[][];
  /** Rows of the whole result, inline or not. */
  rowCount: number;
  spilledTo?: string;
  /** The spilled file's size. */
  spilledBytes?: number;
}

export interface Engine {
  ingest(options: IngestOptions): Promise<IngestResult>;
  describeDataset(datasetPath: string): Promise<ColumnInfo[]>;
  vetSql(sql: string): Promise<{ parameters: string[] }>;
  /** The sandbox and limits DuckDB actually runs with, as DuckDB reports them (for operators). */
  describeSettings(): Promise<Record<string, string>>;
  checkQueryAgainstDataset(sql: string, datasetPath: string): Promise<{ columns: string[] }>;
  execute(options: ExecuteOptions): Promise<QueryResult>;
  /** Rows `offset`.. of a spilled result file, at most `limit`. */
  readResultPage(
    path: string,
    offset: number,
    limit: number,
  ): Promise<{ columns: string[]; rows: JsonValue[][] }>;
  /** A spilled result file, chunk by chunk; stopping the iteration releases the connection. */
  streamResult(path: string): AsyncGenerator<{ columns: string[]; rows: JsonValue[][] }>;
  close(): Promise<void>;
}

/**
 * The engine of the API and the workers: a tenant's SQL and uploads run in that tenant's
 * sandbox process (see sandboxed-engine.ts); vetting SQL text and reading result files,
 * both on server-chosen input, run in this process.
 */
export interface SandboxedEngine
  extends Pick<Engine, 'vetSql' | 'describeSettings' | 'readResultPage' | 'streamResult' | 'close'> {
  /** Converts an upload inside the tenant's folder; past `timeoutMs` it fails as invalid_dataset. */
  ingest(tenant: string, options: IngestOptions, timeoutMs: number): Promise<IngestResult>;
  /** Binds the query to the dataset without running it; past `timeoutMs` it fails as invalid_query. */
  checkQueryAgainstDataset(
    tenant: string,
    sql: string,
    datasetPath: string,
    timeoutMs: number,
  ): Promise<{ columns: string[] }>;
  /** Runs the query; an abort ends it within ABORT_GRACE_MS, by killing its process if need be. */
  execute(tenant: string, options: ExecuteOptions): Promise<QueryResult>;
  /** Sandbox processes running now. */
  readonly sandboxes: number;
}
