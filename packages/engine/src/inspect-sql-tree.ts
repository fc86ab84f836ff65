import {
  type CallPlace,
  checkColumnReference,
  checkFunctionCall,
  type FunctionCall,
} from './check-function-call';
import { EngineError } from './engine-error';

type Tree = { [key: string]: unknown };

/** Table references that name something other than `dataset`, a CTE or a subquery. */
const REFUSED_TABLE_REFS = new Set(['SHOW_REF', 'COLUMN_DATA', 'DELIM_GET', 'BOUND_TABLE_REF']);

/**
 * Every class of parsed expression DuckDB 1.5.6 has. A class it adds later might call a
 * function some new way, so an unknown one is refused rather than trusted.
 */
const KNOWN_EXPRESSION_CLASSES = new Set([
  'BETWEEN',
  'CASE',
  'CAST',
  'COLLATE',
  'COLUMN_REF',
  'COMPARISON',
  'CONJUNCTION',
  'CONSTANT',
  'DEFAULT',
  'FUNCTION',
  'LAMBDA',
  'LAMBDA_REF',
  'OPERATOR',
  'PARAMETER',
  'POSITIONAL_REFERENCE',
  'STAR',
  'SUBQUERY',
  'WINDOW',
]);

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function refuse(message: string): never {
  throw new EngineError('invalid_query', message);
}

function refusePositional(): never {
  refuse('Positional parameters ($1 or ?) are not supported; use named parameters like $month.');
}

/** A FUNCTION or WINDOW node, or the call inside a TABLE_FUNCTION. */
function callOf(node: Tree, place: CallPlace): FunctionCall {
  return { name: text(node.function_name), schema: text(node.schema), catalog: text(node.catalog), place };
}

/** Checks an expression node (not its children): its class, the function it calls, its parameter. */
function checkExpression(node: Tree, parameters: Set<string>): void {
  const expressionClass = text(node.class);
  if (!KNOWN_EXPRESSION_CLASSES.has(expressionClass)) {
    refuse(`The SQL uses an expression of a kind (${expressionClass}) this service does not accept.`);
  }
  if (expressionClass === 'FUNCTION' || expressionClass === 'WINDOW') {
    checkFunctionCall(callOf(node, 'expression'));
  } else if (expressionClass === 'COLUMN_REF') {
    const names = Array.isArray(node.column_names) ? node.column_names.map(text) : [];
    checkColumnReference(names);
  } else if (expressionClass === 'PARAMETER') {
    const identifier = text(node.identifier);
    if (/^\d+$/.test(identifier)) refusePositional();
    parameters.add(identifier);
  }
}

/** Checks one node (not its children) against the rules of a read-only query over `dataset`. */
function checkNode(node: Tree, scope: ReadonlySet<string>, parameters: Set<string>): void {
  const type = text(node.type);
  if (type === 'BASE_TABLE') {
    const name = text(node.table_name);
    const qualified = text(node.schema_name) !== '' || text(node.catalog_name) !== '';
    if (qualified || (name.toLowerCase() !== 'dataset' && !scope.has(name.toLowerCase()))) {
      // A file named as a table (`FROM '/x/y.parquet'`) is never echoed: errors name no file.
      const named = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)
        ? ` not "${name}";`
        : ' not a file or another table;';
      refuse(`Only the table "dataset" can be queried,${named} refer to the data as FROM dataset.`);
    }
  } else if (type === 'TABLE_FUNCTION') {
    checkFunctionCall(callOf(isTree(node.function) ? node.function : {}, 'table'));
  } else if (REFUSED_TABLE_REFS.has(type)) {
    refuse('DESCRIBE, SHOW and SUMMARIZE are not allowed; write a SELECT over the table "dataset".');
  }
  if (typeof node.class === 'string') {
    checkExpression(node, parameters);
  } else if ('function_name' in node && type !== 'TABLE_FUNCTION') {
    // No such node today; one that names a function is held to the rules of a call all the same.
    checkFunctionCall(callOf(node, 'expression'));
  }
}

function walk(value: unknown, scope: ReadonlySet<string>, parameters: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, scope, parameters);
    return;
  }
  if (!isTree(value)) return;
  checkNode(value, scope, parameters);
  walkChildren(value, scope, parameters);
}

/**
 * Walks a node's children. CTE names are visible only where DuckDB would resolve them to
 * the CTE: in later CTEs and the query body, and in its own body only on the recursive side
 * of a recursive CTE. Anywhere else the same name would reach a real catalog table
 * (`WITH t AS (SELECT * FROM t)` reads table t), so it is refused like any other table.
 */
function walkChildren(node: Tree, scope: ReadonlySet<string>, parameters: Set<string>): void {
  let inner = scope;
  const ctes = isTree(node.cte_map) && Array.isArray(node.cte_map.map) ? node.cte_map.map : [];
  if (ctes.length > 0) {
    const visible = new Set(scope);
    for (const entry of ctes) {
      if (!isTree(entry)) continue;
      walk(entry.value, visible, parameters);
      visible.add(text(entry.key).toLowerCase());
    }
    inner = visible;
  }
  for (const [key, child] of Object.entries(node)) {
    if (key === 'cte_map') continue;
    if (text(node.type) === 'TABLE_FUNCTION' && key === 'function' && isTree(child)) {
      // The call itself was checked as a table function; its arguments are expressions.
      walkChildren(child, inner, parameters);
      continue;
    }
    const recursiveSide = text(node.type) === 'RECURSIVE_CTE_NODE' && key === 'right';
    walk(child, recursiveSide ? new Set([...inner, text(node.cte_name).toLowerCase()]) : inner, parameters);
  }
}

/**
 * Checks the output of `json_serialize_sql` for one statement: nothing but `dataset` (and
 * the query's own CTEs) is read, every function called is on the allow list, parameters are
 * named. Returns the parameter names, sorted.
 */
export function inspectSqlTree(statement: unknown): { parameters: string[] } {
  const parameters = new Set<string>();
  walk(statement, new Set(), parameters);
  if (isTree(statement) && Array.isArray(statement.named_param_map)) {
    for (const entry of statement.named_param_map) {
      const name = isTree(entry) ? text(entry.key) : '';
      if (/^\d+$/.test(name)) refusePositional();
      if (name !== '') parameters.add(name);
    }
  }
  return { parameters: [...parameters].sort() };
}
