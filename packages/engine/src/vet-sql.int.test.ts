import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTempEngine, type TempEngine } from './temp-engine.fixture';

let t: TempEngine;
let datasetPath: string;
beforeAll(async () => {
  t = await createTempEngine();
  await writeFile(
    path.join(t.dir, 'sales.csv'),
    'region,month,revenue\nNorth,2024-05,10.5\nSouth,2024-05,3\n',
  );
  datasetPath = path.join(t.dir, 'sales.parquet');
  await t.engine.ingest({
    sourcePath: path.join(t.dir, 'sales.csv'),
    format: 'csv',
    targetPath: datasetPath,
  });
});
afterAll(() => t.cleanup());

describe('vetSql', () => {
  it.each([
    [
      'SELECT region, SUM(revenue) AS total FROM dataset WHERE month = $month GROUP BY region ORDER BY region',
      ['month'],
    ],
    [
      'WITH m AS (SELECT * FROM dataset WHERE month = $month) SELECT region FROM m WHERE revenue > $min',
      ['min', 'month'],
    ],
    [
      'SELECT region FROM dataset WHERE revenue > $x UNION ALL SELECT region FROM dataset WHERE revenue < $x',
      ['x'],
    ],
    ['WITH a AS (SELECT 1 AS n), b AS (SELECT n + 1 AS n FROM a) SELECT * FROM b, dataset', []],
    ['WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT * FROM t', []],
    [
      'SELECT * FROM (SELECT region FROM dataset) AS d WHERE region IN (SELECT unnest($regions))',
      ['regions'],
    ],
    ['FROM dataset SELECT region', []],
    ['SELECT * FROM Dataset; ', []],
    ['SELECT i FROM range(3) t(i)', []],
    // Functions that compute, wherever they sit.
    [
      "SELECT upper(region), round(revenue, 1) FROM dataset WHERE lower(region) LIKE 'n%' ORDER BY abs(revenue)",
      [],
    ],
    [
      'SELECT region, row_number() OVER (PARTITION BY region ORDER BY revenue), sum(revenue) OVER w, ' +
        'lag(revenue) OVER w FROM dataset WINDOW w AS (ORDER BY month) QUALIFY rank() OVER (ORDER BY revenue) <= 3',
      [],
    ],
    [
      "SELECT count(*) FILTER (WHERE revenue > $min), string_agg(region, ',' ORDER BY region), " +
        'quantile_cont(revenue, 0.5), count(DISTINCT region), list_aggr([1, 2], $agg) FROM dataset',
      ['agg', 'min'],
    ],
    [
      'SELECT list_transform([1, 2], x -> x * 2), list_filter([1, 2], lambda x: x > 1), [x + 1 FOR x IN [1, 2]]',
      [],
    ],
    ["SELECT CASE WHEN revenue > 5 THEN 'big' ELSE lower(region) END FROM dataset", []],
    ['WITH m AS (SELECT max(revenue) AS top FROM dataset) SELECT (SELECT top FROM m), coalesce(NULL, 1)', []],
    [
      "SELECT region || '!', revenue + 1, -revenue, revenue // 2, region ILIKE 'n%', region SIMILAR TO 'N.*', " +
        "region GLOB 'N*', 3!, region ^@ 'N', revenue ** 2 FROM dataset",
      [],
    ],
    [
      "SELECT CAST(revenue AS INTEGER), TRY_CAST(month AS DATE), month::VARCHAR, DATE '2024-01-01' FROM dataset",
      [],
    ],
    ["SELECT COLUMNS('re.*'), max(COLUMNS(* EXCLUDE (region))), COLUMNS(c -> c LIKE 'm%') FROM dataset", []],
    [
      "SELECT {'a': 1}, [1, 2][1], MAP {'k': 1}, EXTRACT(year FROM DATE '2024-01-01'), TRIM(BOTH 'x' FROM region), " +
        "main.abs(-1), revenue AT TIME ZONE 'UTC' FROM dataset",
      [],
    ],
    ['SELECT current_date, current_timestamp, localtime, now(), user FROM dataset', []],
    ['SELECT "ABS"(-1), "List_Value"(1), UPPER(region) FROM dataset', []],
    // Table functions that generate rows, with calls in their arguments.
    ['SELECT * FROM dataset, LATERAL unnest([region, month]) AS u(v)', []],
    ["SELECT * FROM generate_series(1, 3), repeat('x', 2), json_each('{\"a\": 1}')", []],
    ['SELECT * FROM range(length($word)), repeat_row(1, num_rows := 2)', ['word']],
  ])('accepts %s', async (sql, parameters) => {
    await expect(t.engine.vetSql(sql)).resolves.toEqual({ parameters });
  });

  it.each([
    ['INSERT INTO dataset VALUES (1)', /Only a read-only SELECT/],
    ["COPY (SELECT * FROM dataset) TO '/tmp/x.csv'", /Only a read-only SELECT/],
    ["ATTACH '/tmp/x.db'", /Only a read-only SELECT/],
    ['DROP VIEW dataset', /Only a read-only SELECT/],
    ['SET threads = 1', /Only a read-only SELECT/],
    ['SELECT 1; SELECT 2', /Only one SQL statement is allowed, found 2/],
    ['SELECT 1; DELETE FROM dataset', /Only a read-only SELECT|Only one SQL statement/],
    ["SELECT * FROM read_csv('/etc/passwd')", /read_csv\(\) is not allowed/],
    [
      "SELECT * FROM dataset WHERE region IN (SELECT content FROM read_text('/etc/passwd'))",
      /read_text\(\) is not allowed/,
    ],
    ["SELECT * FROM glob('/*')", /glob\(\) is not allowed/],
    ["SELECT * FROM '/etc/passwd'", /Only the table "dataset"/],
    ["SELECT current_setting('allowed_directories')", /current_setting\(\) is not allowed/],
    ["SELECT * FROM query('SELECT 1')", /query\(\) is not allowed/],
    [
      'SELECT pg_get_viewdef(i) FROM range(100000) t(i) WHERE pg_get_viewdef(i) IS NOT NULL',
      /pg_get_viewdef\(\) is not allowed/,
    ],
    ['SELECT col_description(0, 0)', /col_description\(\) is not allowed/],
    ['SELECT current_database(), 1', /current_database\(\) is not allowed/],
    ['SELECT current_schemas(true)', /current_schemas\(\) is not allowed/],
    ['SELECT version()', /version\(\) is not allowed/],
    ["SELECT list_transform([1], x -> current_setting('threads'))", /current_setting\(\) is not allowed/],
    ["SELECT main.getvariable('x')", /getvariable\(\) is not allowed/],
    ["SELECT * FROM read_blob('/etc/passwd')", /read_blob\(\) is not allowed/],
    ["SELECT * FROM dataset UNION ALL FROM read_csv('/etc/passwd')", /read_csv\(\) is not allowed/],
    ['SELECT * FROM sql_auto_complete($x)', /sql_auto_complete\(\) is not allowed/],
    ['PRAGMA database_list', /Only a read-only SELECT/],
    ['CALL pragma_version()', /Only a read-only SELECT/],
    ["EXPORT DATABASE '/tmp/x'", /Only a read-only SELECT/],
    ['LOAD httpfs', /Only a read-only SELECT/],
    ['INSTALL httpfs', /Only a read-only SELECT/],
    ['SELECT * FROM duckdb_settings()', /duckdb_settings\(\) is not allowed/],
    ['SELECT * FROM other_table', /Only the table "dataset" can be queried, not "other_table"/],
    [
      "SELECT * FROM '/srv/data/tenants/globex/d.parquet'",
      /can be queried, not a file or another table; refer/,
    ],
    ['SELECT * FROM information_schema.tables', /Only the table "dataset"/],
    ['SELECT * FROM temp.main.dataset', /Only the table "dataset"/],
    ['WITH secret AS (SELECT * FROM secret) SELECT * FROM secret', /not "secret"/],
    ['WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a', /not "b"/],
    ['SELECT * FROM (WITH q AS (SELECT 1) SELECT * FROM q) AS x, q', /not "q"/],
    // Functions that take SQL text, or read settings, variables, the catalog or files: wherever they sit.
    ["SELECT * FROM query_table('dataset')", /The table function query_table\(\) is not allowed/],
    ['SELECT * FROM json_execute_serialized_sql($plan)', /json_execute_serialized_sql\(\) is not allowed/],
    ["SELECT json_serialize_plan('SELECT 1')", /json_serialize_plan\(\) is not allowed/],
    ['SELECT query($sql::VARCHAR)', /The function query\(\) is not allowed: a query may call only computing/],
    ['SELECT * FROM query($sql::VARCHAR)', /The table function query\(\) is not allowed/],
    ["SELECT getvariable('x')", /getvariable\(\) is not allowed/],
    ["SELECT * FROM dataset ORDER BY current_setting('threads')", /current_setting\(\) is not allowed/],
    ["SELECT * FROM dataset WHERE region = current_setting('x')", /current_setting\(\) is not allowed/],
    ["SELECT sum(revenue) OVER (ORDER BY getvariable('x')) FROM dataset", /getvariable\(\) is not allowed/],
    ['SELECT version() OVER () FROM dataset', /version\(\) is not allowed/],
    [
      "SELECT count(*) FILTER (WHERE region = current_setting('x')) FROM dataset",
      /current_setting\(\) is not allowed/,
    ],
    ["SELECT [current_setting(x) FOR x IN ['threads']]", /current_setting\(\) is not allowed/],
    ['SELECT CASE WHEN true THEN version() END', /version\(\) is not allowed/],
    ["SELECT (SELECT current_setting('threads'))", /current_setting\(\) is not allowed/],
    ["SELECT * FROM dataset WHERE EXISTS (SELECT getvariable('x'))", /getvariable\(\) is not allowed/],
    [
      "WITH c AS (SELECT current_setting('threads') AS s) SELECT * FROM c",
      /current_setting\(\) is not allowed/,
    ],
    ['SELECT * FROM dataset, LATERAL read_csv(region)', /read_csv\(\) is not allowed/],
    ["SELECT * FROM range(length(current_setting('threads')))", /current_setting\(\) is not allowed/],
    ["SELECT * FROM unnest([getvariable('x')])", /getvariable\(\) is not allowed/],
    ['SELECT * FROM histogram(dataset, region)', /histogram\(\) is not allowed/],
    ["SELECT * FROM which_secret('s3://bucket/x', 's3')", /which_secret\(\) is not allowed/],
    ["SELECT * FROM sniff_csv('/etc/passwd')", /sniff_csv\(\) is not allowed/],
    ["SELECT * FROM parquet_metadata('x.parquet')", /parquet_metadata\(\) is not allowed/],
    ['SELECT pg_typeof(1)', /pg_typeof\(\) is not allowed/],
    ['SELECT setseed(0.5)', /setseed\(\) is not allowed/],
    ['SELECT sleep_ms(1000)', /sleep_ms\(\) is not allowed/],
    ["SELECT nextval('s')", /nextval\(\) is not allowed/],
    ['SELECT txid_current()', /txid_current\(\) is not allowed/],
    ['SELECT current_query()', /current_query\(\) is not allowed/],
    ["SELECT write_log('x')", /write_log\(\) is not allowed/],
    ["SELECT make_type('INTEGER')", /make_type\(\) is not allowed/],
    ['SELECT UPPER("Current_Setting"($name))', /current_setting\(\) is not allowed/],
    ['SELECT some_function_duckdb_may_add_later(1)', /some_function_duckdb_may_add_later\(\) is not allowed/],
    // Qualified names could reach what the allow list never saw.
    ["SELECT main.query('SELECT 1')", /main\.query\(\) is not allowed/],
    ['SELECT system.main.abs(1)', /system\.main\.abs\(\) is not allowed: call functions by their plain name/],
    ['SELECT pg_catalog.lower(region) FROM dataset', /pg_catalog\.lower\(\) is not allowed/],
    [
      'SELECT region.upper() FROM dataset',
      /region\.upper\(\) is not allowed: call functions by their plain name/,
    ],
    ['SELECT * FROM system.main.range(3)', /system\.main\.range\(\) is not allowed/],
    // Bare names DuckDB binds as calls when no column has them.
    ['SELECT current_schema', /current_schema\(\) is not allowed/],
    ['SELECT "CURRENT_CATALOG"', /current_catalog\(\) is not allowed/],
    ['SELECT alias.current_catalog FROM dataset', /current_catalog\(\) is not allowed/],
    ['SELECT * FROM range(length(current_catalog))', /current_catalog\(\) is not allowed/],
    ['SELECT * FROM dataset WHERE revenue > $1', /Positional parameters .* use named parameters/],
    ['SELECT * FROM dataset WHERE revenue > ?', /Positional parameters/],
    ['SUMMARIZE dataset', /DESCRIBE, SHOW and SUMMARIZE are not allowed/],
    ['SELEC region FROM dataset', /could not be parsed: syntax error at or near "SELEC"/],
    ['-- nothing here', /The SQL is empty/],
  ])('refuses %s', async (sql, message) => {
    await expect(t.engine.vetSql(sql)).rejects.toMatchObject({
      code: 'invalid_query',
      message: expect.stringMatching(message),
    });
  });

  it('refuses statements longer than 100,000 characters', async () => {
    const sql = `SELECT * FROM dataset WHERE region = '${'x'.repeat(100_000)}'`;
    await expect(t.engine.vetSql(sql)).rejects.toMatchObject({
      code: 'invalid_query',
      message: expect.stringMatching(/100,000/),
    });
  });
});

describe('checkQueryAgainstDataset', () => {
  it('returns the columns of a query that binds', async () => {
    await expect(
      t.engine.checkQueryAgainstDataset(
        'SELECT region, SUM(revenue) AS total FROM dataset WHERE month = $month GROUP BY region',
        datasetPath,
      ),
    ).resolves.toEqual({ columns: ['region', 'total'] });
  });

  it('names an unknown column and lists the dataset columns', async () => {
    await expect(
      t.engine.checkQueryAgainstDataset('SELECT regoin FROM dataset', datasetPath),
    ).rejects.toMatchObject({
      code: 'invalid_query',
      message: 'Column "regoin" does not exist in the dataset; its columns are: region, month, revenue.',
      details: ['regoin'],
    });
    await expect(
      t.engine.checkQueryAgainstDataset('SELECT d."Re""gion" FROM dataset d', datasetPath),
    ).rejects.toMatchObject({ details: ['Re"gion'] });
  });

  it('reports other binding problems as invalid_query without DuckDB noise', async () => {
    const error = await t.engine
      .checkQueryAgainstDataset('SELECT region, revenue FROM dataset GROUP BY region', datasetPath)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'invalid_query',
      message: expect.stringMatching(/must appear in the GROUP BY clause/),
    });
    expect((error as Error).message).not.toMatch(/LINE 1/);
    await expect(t.engine.checkQueryAgainstDataset('SELECT * FROM nope', datasetPath)).rejects.toMatchObject({
      code: 'invalid_query',
      message: 'Table with name nope does not exist.',
    });
  });
});
