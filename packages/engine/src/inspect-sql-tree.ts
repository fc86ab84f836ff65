import { EngineError } from './engine-error';
import { ALLOWED_TABLE_FUNCTIONS, isForbiddenFunction } from './forbidden-functions';

type Tree = { [key: string]: unknown };

/** Table references that name something other than `dataset`, a CTE or a subquery. */
const REFUSED_TABLE_REFS = new Set(['SHOW_REF', 'COLUMN_DATA', 'DELIM_GET', 'BOUND_TABLE_REF']);

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function refuse(message: string): never {
  throw new EngineError('invalid_query', message);
}

/** Checks one node (not its children) against the rules of a read-only query over `dataset`. */
function checkNode(node: Tree, scope: ReadonlySet<string>, parameters: Set<string>): void {
  const type = text(node.type);
  if (type === 'BASE_TABLE') {
    const name = text(node.table_name);
    const qualified = text(node.schema_name) !== '' || text(node.catalog_name) !== '';
    if (qualified || (name.toLowerCase() !== 'dataset' && !scope.has(name.toLowerCase()))) {
      refuse(`Only the table "dataset" can be queried, not "${name}"; refer to the data as FROM dataset.`);
    }
  } else if (type === 'TABLE_FUNCTION') {
    const name = isTree(node.function) ? text(node.function.function_name) : '';
    if (!ALLOWED_TABLE_FUNCTIONS.has(name.toLowerCase())) {
      refuse(`The table function ${name}() is not allowed: a query can read only the table "dataset".`);
    }
  } else if (REFUSED_TABLE_REFS.has(type)) {
    refuse('DESCRIBE, SHOW and SUMMARIZE are not allowed; write a SELECT over the table "dataset".');
  }
  const functionName = text(node.function_name);
  if (functionName !== '' && isForbiddenFunction(functionName)) {
    refuse(`The function ${functionName}() is not allowed: a query can read only the table "dataset".`);
  }
  if (text(node.class) === 'PARAMETER') {
    const identifier = text(node.identifier);
    if (/^\d+$/.test(identifier)) {
      refuse('Positional parameters ($1 or ?) are not supported; use named parameters like $month.');
    }
    parameters.add(identifier);
  }
}

/**
 * Walks the parsed statement. CTE names are visible only where DuckDB would resolve them to
 * the CTE: in later CTEs and the query body, and in its own body only on the recursive side
 * of a recursive CTE. Anywhere else the same name would reach a real catalog table
 * (`WITH t AS (SELECT * FROM t)` reads table t), so it is refused like any other table.
 */
function walk(value: unknown, scope: ReadonlySet<string>, parameters: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, scope, parameters);
    return;
  }
  if (!isTree(value)) return;
  checkNode(value, scope, parameters);
  let inner = scope;
  const ctes = isTree(value.cte_map) && Array.isArray(value.cte_map.map) ? value.cte_map.map : [];
  if (ctes.length > 0) {
    const visible = new Set(scope);
    for (const entry of ctes) {
      if (!isTree(entry)) continue;
      walk(entry.value, visible, parameters);
      visible.add(text(entry.key).toLowerCase());
    }
    inner = visible;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === 'cte_map') continue;
    const recursiveSide = text(value.type) === 'RECURSIVE_CTE_NODE' && key === 'right';
    walk(child, recursiveSide ? new Set([...inner, text(value.cte_name).toLowerCase()]) : inner, parameters);
  }
}

/**
 * Checks the output of `json_serialize_sql` for one statement: nothing but `dataset` (and
 * the query's own CTEs) is read, no forbidden function is called, parameters are named.
 * Returns the parameter names, sorted.
 */
export function inspectSqlTree(statement: unknown): { parameters: string[] } {
  const parameters = new Set<string>();
  walk(statement, new Set(), parameters);
  if (isTree(statement) && Array.isArray(statement.named_param_map)) {
    for (const entry of statement.named_param_map) {
      const name = isTree(entry) ? text(entry.key) : '';
      if (/^\d+$/.test(name)) {
        refuse('Positional parameters ($1 or ?) are not supported; use named parameters like $month.');
      }
      if (name !== '') parameters.add(name);
    }
  }
  return { parameters: [...parameters].sort() };
}
