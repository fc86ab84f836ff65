import { EngineError } from './engine-error';
import { ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS } from './function-allow-list';
import { SQL_VALUE_KEYWORDS } from './sql-value-keywords';

/** Where a call sits: in an expression (select list, WHERE, ...) or in FROM, as a table function. */
export type CallPlace = 'expression' | 'table';

export interface FunctionCall {
  name: string;
  schema: string;
  catalog: string;
  place: CallPlace;
}

/**
 * `main` is the schema of DuckDB's own functions, and the parser itself writes some calls as
 * `main.struct_pack`, `main.list_value`... Any other qualifier (a catalog, `pg_catalog`, a
 * column in `x.upper()`) could resolve to something the allow list never saw, so it is refused.
 */
const PLAIN_SCHEMAS: ReadonlySet<string> = new Set(['', 'main']);

const GENERATORS = [...ALLOWED_TABLE_FUNCTIONS].map((name) => `${name}()`).join(', ');

function refuse(message: string): never {
  throw new EngineError('invalid_query', message);
}

function notAllowed(shown: string): never {
  refuse(
    `The function ${shown}() is not allowed: a query may call only computing functions on the table "dataset".`,
  );
}

/** Refuses a call unless its name is on the allow list for its place and it is not qualified. */
export function checkFunctionCall(call: FunctionCall): void {
  const shown = [call.catalog, call.schema, call.name].filter((part) => part !== '').join('.');
  const name = call.name.toLowerCase();
  if (call.place === 'table' && !ALLOWED_TABLE_FUNCTIONS.has(name)) {
    refuse(
      `The table function ${shown}() is not allowed: a query can read only the table "dataset", ` +
        `and generate rows only with ${GENERATORS}.`,
    );
  }
  if (call.place === 'expression' && !ALLOWED_FUNCTIONS.has(name)) notAllowed(shown);
  if (call.catalog !== '' || !PLAIN_SCHEMAS.has(call.schema.toLowerCase())) {
    refuse(
      `The function ${shown}() is not allowed: call functions by their plain name, as ${call.name}(...).`,
    );
  }
}

/**
 * Refuses a column reference DuckDB may bind as a call to a function that is not allowed
 * (`current_schema`, see SQL_VALUE_KEYWORDS). The binder tries the map on the first part of
 * a name, on `alias.<name>`, and on the last part inside a table function's arguments; any
 * part is checked, which costs only columns named like a refused keyword (still reachable
 * by `SELECT *` or `COLUMNS('...')`).
 */
export function checkColumnReference(columnNames: readonly string[]): void {
  for (const part of columnNames) {
    const called = SQL_VALUE_KEYWORDS.get(part.toLowerCase());
    if (called !== undefined && !ALLOWED_FUNCTIONS.has(called)) notAllowed(called);
  }
}
