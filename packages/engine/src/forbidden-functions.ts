/**
 * Table functions a query may use in FROM: they generate values and read nothing. Every other
 * table function (read_csv, read_parquet, read_text, glob, query, parquet_metadata,
 * duckdb_settings, ...) is refused, because the sandbox lets DuckDB read the whole data
 * folder — every tenant's datasets — and only `dataset` may be read.
 */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['range', 'generate_series', 'unnest']);

/**
 * Scalar functions (and any table function named as one) that reach outside the query's own
 * data: files, settings (which reveal server paths), variables, the catalog, logs, or that
 * execute other SQL. Prefixes catch whole families, including ones added by later versions.
 */
export const FORBIDDEN_FUNCTION_PREFIXES: readonly string[] = [
  'read_',
  'glob',
  'getenv',
  'current_setting',
  'getvariable',
  'duckdb_',
  'pragma_',
  'sniff_',
  'parquet_',
  'json_execute',
  'query',
  'load',
  'install',
  'checkpoint',
  'force_checkpoint',
  'enable_',
  'disable_',
  'which_secret',
  'write_',
  'truncate_duckdb',
  'arrow_scan',
  'seq_scan',
  'sqlite_',
  'postgres_',
  'mysql_',
  'iceberg_',
  'delta_',
  'http',
  'sleep',
  'pg_sleep',
  'current_query',
  // The catalog and the server itself: pg_get_viewdef(oid) is a macro over duckdb_views()
  // and shows the `dataset` view's SQL, server path included; the others name the
  // database, schemas and DuckDB version.
  'pg_get_',
  'col_description',
  'obj_description',
  'shobj_description',
  'current_database',
  'current_catalog',
  'current_schema',
  'version',
];

export function isForbiddenFunction(name: string): boolean {
  const lower = name.toLowerCase();
  return FORBIDDEN_FUNCTION_PREFIXES.some((prefix) => lower.startsWith(prefix));
}
