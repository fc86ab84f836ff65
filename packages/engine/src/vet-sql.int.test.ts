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
    ['SELECT * FROM information_schema.tables', /Only the table "dataset"/],
    ['SELECT * FROM temp.main.dataset', /Only the table "dataset"/],
    ['WITH secret AS (SELECT * FROM secret) SELECT * FROM secret', /not "secret"/],
    ['WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a', /not "b"/],
    ['SELECT * FROM (WITH q AS (SELECT 1) SELECT * FROM q) AS x, q', /not "q"/],
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
