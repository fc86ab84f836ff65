import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS, BINDER_FUNCTIONS } from './function-allow-list';
import { REFUSED_FUNCTIONS, REFUSED_PRAGMAS, REFUSED_TABLE_FUNCTIONS } from './function-refuse-list';
import { SQL_VALUE_KEYWORDS } from './sql-value-keywords';
import { vetSqlText } from './vet-sql';

/**
 * The allow and refuse lists against the functions of the DuckDB actually installed, so
 * that an upgrade which adds a function fails here, naming it, until someone has reviewed it.
 */

interface ListedFunction {
  name: string;
  type: string;
  description: string;
}

/** Where a function of each duckdb_functions() type may be called, and the lists that cover it. */
const PLACES: Record<string, { allowed: ReadonlySet<string>; refused: ReadonlySet<string> }> = {
  scalar: { allowed: ALLOWED_FUNCTIONS, refused: REFUSED_FUNCTIONS },
  aggregate: { allowed: ALLOWED_FUNCTIONS, refused: REFUSED_FUNCTIONS },
  macro: { allowed: ALLOWED_FUNCTIONS, refused: REFUSED_FUNCTIONS },
  table: { allowed: ALLOWED_TABLE_FUNCTIONS, refused: REFUSED_TABLE_FUNCTIONS },
  table_macro: { allowed: ALLOWED_TABLE_FUNCTIONS, refused: REFUSED_TABLE_FUNCTIONS },
  pragma: { allowed: new Set(), refused: REFUSED_PRAGMAS },
};

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let functions: ListedFunction[];

async function rows(sql: string): Promise<string[][]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowsJson().map((row) => row.map((value) => (value === null ? '' : String(value))));
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
  const listed = await rows(
    `SELECT DISTINCT lower(function_name), function_type, coalesce(first(description), '')
     FROM duckdb_functions() GROUP BY ALL ORDER BY ALL`,
  );
  functions = listed.map(([name = '', type = '', description = '']) => ({ name, type, description }));
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

function namesOfTypes(types: readonly string[]): Set<string> {
  return new Set(functions.filter((f) => types.includes(f.type)).map((f) => f.name));
}

describe('the function lists', () => {
  it('cover every function of the installed DuckDB', () => {
    const unreviewed = functions
      .filter((f) => {
        const place = PLACES[f.type];
        return place === undefined || !(place.allowed.has(f.name) || place.refused.has(f.name));
      })
      .map((f) => `${f.name} (${f.type}): ${f.description}`);
    // A name here is new to DuckDB: read what it does, then put it on the allow or the refuse list.
    expect(unreviewed).toEqual([]);
  });

  it('list only functions the installed DuckDB has', () => {
    const expressions = namesOfTypes(['scalar', 'aggregate', 'macro']);
    const tables = namesOfTypes(['table', 'table_macro']);
    const pragmas = namesOfTypes(['pragma']);
    const stale = [
      ...[...ALLOWED_FUNCTIONS]
        .filter((name) => !BINDER_FUNCTIONS.has(name) && !expressions.has(name))
        .map((name) => `allowed ${name}`),
      ...[...REFUSED_FUNCTIONS].filter((name) => !expressions.has(name)).map((name) => `refused ${name}`),
      ...[...ALLOWED_TABLE_FUNCTIONS]
        .filter((name) => !tables.has(name))
        .map((name) => `allowed table ${name}`),
      ...[...REFUSED_TABLE_FUNCTIONS]
        .filter((name) => !tables.has(name))
        .map((name) => `refused table ${name}`),
      ...[...REFUSED_PRAGMAS].filter((name) => !pragmas.has(name)).map((name) => `refused pragma ${name}`),
    ];
    expect(stale).toEqual([]);
  });

  it('never allow and refuse the same name in the same place', () => {
    expect([...ALLOWED_FUNCTIONS].filter((name) => REFUSED_FUNCTIONS.has(name))).toEqual([]);
    expect([...ALLOWED_TABLE_FUNCTIONS].filter((name) => REFUSED_TABLE_FUNCTIONS.has(name))).toEqual([]);
  });

  it('allow every aggregate, since list_aggr(list, name) calls one by a name in a string', () => {
    const refusedAggregates = [...namesOfTypes(['aggregate'])].filter((name) => !ALLOWED_FUNCTIONS.has(name));
    expect(refusedAggregates).toEqual([]);
  });

  it('allow only macros whose bodies pass the vetting themselves', async () => {
    const bodies = await rows(
      `SELECT DISTINCT lower(function_name), macro_definition FROM duckdb_functions()
       WHERE function_type = 'macro' ORDER BY ALL`,
    );
    const allowedBodies = bodies.filter(([name = '']) => ALLOWED_FUNCTIONS.has(name));
    expect(allowedBodies.length).toBeGreaterThan(50);
    const failing: string[] = [];
    for (const [name, body] of allowedBodies) {
      await vetSqlText(connection, `SELECT ${body}`).catch((error: unknown) => {
        failing.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
    expect(failing).toEqual([]);
  });

  it('refuse the macros that reach the catalog or the settings', async () => {
    for (const name of ['current_catalog', 'format_type', 'get_block_size', 'pg_get_viewdef']) {
      const [[body = ''] = []] = await rows(
        `SELECT first(macro_definition) FROM duckdb_functions() WHERE function_name = '${name}'`,
      );
      expect(REFUSED_FUNCTIONS.has(name)).toBe(true);
      await expect(vetSqlText(connection, `SELECT ${body}`)).rejects.toMatchObject({ code: 'invalid_query' });
    }
  });

  it('keep the names the binder handles itself working', async () => {
    for (const name of BINDER_FUNCTIONS) {
      await expect(rows(`SELECT ${name}([1, 2])`)).resolves.toEqual([['1'], ['2']]);
    }
  });

  it('map each SQL value keyword to the function DuckDB calls for it', async () => {
    for (const [keyword, called] of SQL_VALUE_KEYWORDS) {
      expect([keyword, ALLOWED_FUNCTIONS.has(called) || REFUSED_FUNCTIONS.has(called)]).toEqual([
        keyword,
        true,
      ]);
      await expect(rows(`SELECT ${keyword} = ${called}()`)).resolves.toEqual([['true']]);
    }
  });
});
