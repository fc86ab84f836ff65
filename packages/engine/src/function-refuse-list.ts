import { functionNameSet } from './function-names';

/*
 * What a saved query may not call, family by family, each with the reason. A name belongs
 * here only if the installed DuckDB has it (function-lists.int.test.ts checks); anything on
 * neither this nor the allow list is refused too, and fails that test until reviewed.
 */

/** Scalar functions and macros a query may not call. */
export const REFUSED_FUNCTIONS: ReadonlySet<string> = functionNameSet(
  // SQL text: they parse, plan or run SQL given as a string, or return the running query's text.
  `
  current_query json_deserialize_sql json_serialize_plan json_serialize_sql
  `,
  // Settings and variables: they reveal the server's configuration, paths included.
  `
  current_setting getvariable
  `,
  // The catalog and the session: databases, schemas, named types, sequences, block sizes, and the ids
  // of connections, queries and transactions (which count other tenants' activity).
  `
  current_catalog current_connection_id current_database current_query_id current_schema current_schemas
  current_transaction_id currval get_block_size in_search_path make_type nextval st_setcrs txid_current
  `,
  // The log: writing to it, or parsing its messages.
  `
  parse_duckdb_log_message write_log
  `,
  // State beyond the query: setseed() changes random() for the next query on a pooled connection;
  // sleep_ms() holds a worker without doing work.
  `
  setseed sleep_ms
  `,
  // DuckDB's internals: storage compression, statistics, vector formats, raw aggregate states and
  // variant bytes (inputs DuckDB writes itself, not users), and the version.
  `
  __internal_compress_integral_ubigint __internal_compress_integral_uinteger
  __internal_compress_integral_usmallint __internal_compress_integral_utinyint
  __internal_compress_string_hugeint __internal_compress_string_ubigint
  __internal_compress_string_uhugeint __internal_compress_string_uinteger
  __internal_compress_string_usmallint __internal_compress_string_utinyint
  __internal_decompress_integral_bigint __internal_decompress_integral_hugeint
  __internal_decompress_integral_integer __internal_decompress_integral_smallint
  __internal_decompress_integral_ubigint __internal_decompress_integral_uhugeint
  __internal_decompress_integral_uinteger __internal_decompress_integral_usmallint
  __internal_decompress_string combine finalize stats variant_bytes_to_variant vector_type version
  `,
  // PostgreSQL compatibility for client tools (pg_catalog): several read the catalog (pg_get_viewdef
  // shows the dataset view's SQL, server path included, format_type reads duckdb_types()), pg_sleep
  // sleeps; the harmless ones (pg_typeof, pg_size_pretty) have plain equivalents (typeof, format_bytes).
  `
  col_description format_pg_type format_type has_any_column_privilege has_column_privilege
  has_database_privilege has_foreign_data_wrapper_privilege has_function_privilege
  has_language_privilege has_schema_privilege has_sequence_privilege has_server_privilege
  has_table_privilege has_tablespace_privilege inet_client_addr inet_client_port inet_server_addr
  inet_server_port map_to_pg_oid obj_description pg_collation_is_visible pg_conf_load_time
  pg_conversion_is_visible pg_function_is_visible pg_get_constraintdef pg_get_expr pg_get_viewdef
  pg_has_role pg_is_other_temp_schema pg_my_temp_schema pg_opclass_is_visible pg_operator_is_visible
  pg_opfamily_is_visible pg_postmaster_start_time pg_size_pretty pg_sleep pg_table_is_visible
  pg_ts_config_is_visible pg_ts_dict_is_visible pg_ts_parser_is_visible pg_ts_template_is_visible
  pg_type_is_visible pg_typeof shobj_description
  `,
);

/** Table functions and table macros a query may not use in FROM. */
export const REFUSED_TABLE_FUNCTIONS: ReadonlySet<string> = functionNameSet(
  // Files: they read any file the sandbox can reach, which is every tenant's data folder.
  `
  glob parquet_bloom_probe parquet_file_metadata parquet_full_metadata parquet_kv_metadata
  parquet_metadata parquet_scan parquet_schema read_blob read_csv read_csv_auto read_duckdb read_json
  read_json_auto read_json_objects read_json_objects_auto read_ndjson read_ndjson_auto
  read_ndjson_objects read_parquet read_text sniff_csv
  `,
  // SQL text: they run, parse or complete SQL given as a string, or read a table named in one
  // (histogram and histogram_values are macros over query_table).
  `
  check_peg_parser disable_peg_parser enable_peg_parser histogram histogram_values
  json_execute_serialized_sql query query_table sql_auto_complete
  `,
  // The catalog, settings, secrets, memory and the log of the whole instance.
  `
  duckdb_approx_database_count duckdb_columns duckdb_connection_count duckdb_constraints
  duckdb_coordinate_systems duckdb_databases duckdb_dependencies duckdb_extensions
  duckdb_external_file_cache duckdb_functions duckdb_indexes duckdb_keywords duckdb_log_contexts
  duckdb_logs duckdb_logs_parsed duckdb_memory duckdb_optimizers duckdb_prepared_statements
  duckdb_profiling_settings duckdb_schemas duckdb_secret_types duckdb_secrets duckdb_sequences
  duckdb_settings duckdb_table_sample duckdb_tables duckdb_temporary_files duckdb_types
  duckdb_variables duckdb_views pragma_collations pragma_database_size pragma_metadata_info
  pragma_platform pragma_show pragma_storage_info pragma_table_info pragma_user_agent pragma_version
  which_secret
  `,
  // Maintenance with effects beyond the query: checkpoints, logging and profiling switches.
  `
  checkpoint disable_logging disable_profiling enable_logging enable_profiling force_checkpoint
  truncate_duckdb_logs
  `,
  // DuckDB's own plumbing: scans of Arrow streams a client hands over, the table scan itself, and
  // the table-in-out function behind SUMMARIZE.
  `
  arrow_scan arrow_scan_dumb seq_scan summary
  `,
  // Generators nobody needs to query a dataset: DuckDB's test fixtures and listings of the
  // server's ICU calendars and time zones. Harmless today, kept out to keep the surface small.
  `
  icu_calendar_names pg_timezone_names test_all_types test_vector_types
  `,
);

/**
 * Pragma functions run only through PRAGMA (and CALL) statements, which vetSql refuses
 * before it looks at functions; listed so that a new one is noticed like any other.
 */
export const REFUSED_PRAGMAS: ReadonlySet<string> = functionNameSet(`
  add_parquet_key all_profiling_output collations copy_database database_list database_size
  disable_checkpoint_on_shutdown disable_object_cache disable_optimizer disable_print_progress_bar
  disable_profile disable_profiling disable_progress_bar disable_verification disable_verify_external
  disable_verify_fetch_row disable_verify_parallelism disable_verify_serializer
  enable_checkpoint_on_shutdown enable_object_cache enable_optimizer enable_print_progress_bar
  enable_profile enable_profiling enable_progress_bar enable_verification extension_versions
  force_checkpoint functions import_database json_execute_serialized_sql metadata_info platform show
  show_databases show_tables show_tables_expanded storage_info table_info user_agent verify_external
  verify_fetch_row verify_parallelism verify_serializer version
`);
