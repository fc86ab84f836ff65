/**
 * Bare names DuckDB's binder turns into function calls when no column has the name
 * (`SELECT current_schema` calls current_schema()), after GetSQLValueFunctionName in
 * bind_columnref_expression.cpp of DuckDB 1.5.6. The parse shows them as column references,
 * so the vetting looks them up here and holds them to the same allow list as a call.
 * function-lists.int.test.ts checks each name still means its function.
 */
export const SQL_VALUE_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['current_catalog', 'current_catalog'],
  ['current_date', 'current_date'],
  ['current_role', 'current_role'],
  ['current_schema', 'current_schema'],
  ['current_time', 'get_current_time'],
  ['current_timestamp', 'get_current_timestamp'],
  ['current_user', 'current_user'],
  ['localtime', 'current_localtime'],
  ['localtimestamp', 'current_localtimestamp'],
  ['session_user', 'session_user'],
  ['user', 'user'],
]);
