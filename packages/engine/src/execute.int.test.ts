import { readdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JsonValue } from '@repo/contracts';
import { ZStructuredQuery } from '@repo/contracts';
import { compileStructuredQuery } from './compile-structured-query';
import type { ExecuteOptions } from './engine-types';
import { createTempEngine, type TempEngine } from './temp-engine.fixture';

let t: TempEngine;
let sales: string;
let numbers: string;

const SALES_CSV = `region,month,day,units,revenue
North,2024-05,2024-05-01,10,100.5
South,2024-05,2024-05-02,5,50
North,2024-06,2024-06-01,7,70.25
East,2024-06,2024-06-03,1,
West,2024-05,2024-05-20,3,30
`;

async function ingestCsv(name: string, csv: string): Promise<string> {
  const sourcePath = path.join(t.dir, `${name}.csv`);
  const targetPath = path.join(t.dir, `${name}.parquet`);
  await writeFile(sourcePath, csv);
  await t.engine.ingest({ sourcePath, format: 'csv', targetPath });
  return targetPath;
}

function run(sql: string, params: Record<string, JsonValue> = {}, extra: Partial<ExecuteOptions> = {}) {
  return t.engine.execute({ sql, params, datasetPath: sales, inlineRowLimit: 100, ...extra });
}

beforeAll(async () => {
  t = await createTempEngine();
  sales = await ingestCsv('sales', SALES_CSV);
  const lines = ['id,label'];
  for (let i = 0; i < 5000; i += 1) lines.push(`${i},n${i}`);
  numbers = await ingestCsv('numbers', `${lines.join('\n')}\n`);
});
afterAll(() => t.cleanup());

describe('execute', () => {
  it('runs the documented query with a named parameter', async () => {
    const result = await run(
      'SELECT region, SUM(revenue) AS total_revenue FROM dataset WHERE month = $month GROUP BY region ORDER BY region',
      { month: '2024-05' },
    );
    expect(result).toEqual({
      columns: ['region', 'total_revenue'],
      rows: [
        ['North', 100.5],
        ['South', 50],
        ['West', 30],
      ],
      rowCount: 3,
    });
  });

  it('binds strings, integers, doubles, booleans and null by name', async () => {
    const result = await run('SELECT $s AS s, $i AS i, $d AS d, $b AS b, $n IS NULL AS n, $big AS big', {
      s: 'x',
      i: 42,
      d: 1.25,
      b: true,
      n: null,
      big: 2 ** 53 + 2,
    });
    expect(result.rows).toEqual([['x', 42, 1.25, true, true, 9007199254740994]]);
    const day = await run('SELECT count(*) AS n FROM dataset WHERE day >= $from AND units > $min', {
      from: '2024-06-01',
      min: 0,
    });
    expect(day.rows).toEqual([[2]]);
  });

  it('fails a missing parameter, a mistyped one and an object one as query_error', async () => {
    await expect(run('SELECT * FROM dataset WHERE month = $month')).rejects.toMatchObject({
      code: 'query_error',
      message: 'Parameter $month has no value; pass it in parameters.',
      details: ['parameters.month'],
    });
    await expect(run('SELECT * FROM dataset WHERE units = $u', { u: 'many' })).rejects.toMatchObject({
      code: 'query_error',
      message: expect.stringMatching(/Could not convert string 'many' to INT64/),
    });
    await expect(run('SELECT $o', { o: { a: 1 } })).rejects.toMatchObject({
      code: 'query_error',
      details: ['parameters.o'],
    });
    await expect(run('SELECT $l', { l: [1, 'a'] })).rejects.toMatchObject({
      code: 'query_error',
      message: expect.stringMatching(/mixes values of different types/),
    });
    await expect(run('SELECT * FROM dataset WHERE units > $1', {})).rejects.toMatchObject({
      code: 'query_error',
    });
  });

  it('reports run-time data errors as query_error with a clean sentence', async () => {
    const error = await run('SELECT CAST(region AS INTEGER) FROM dataset').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'query_error',
      message: expect.stringMatching(/^Could not convert string 'North' to INT32/),
    });
    expect((error as Error).message).not.toMatch(/LINE 1|\n/);
    await expect(run('SELECT nope FROM dataset')).rejects.toMatchObject({ code: 'query_error' });
  });

  it.each([
    ['FROM dataset SELECT count(*) AS n', [[5]]],
    ['WITH n AS (SELECT units FROM dataset) SELECT sum(units) AS s FROM n;', [[26]]],
    ['SELECT count(*) AS n FROM dataset -- trailing comment', [[5]]],
    ['(SELECT 1 AS x) UNION ALL (SELECT 2)', [[1], [2]]],
  ])('runs %s', async (sql, rows) => {
    expect((await run(sql)).rows).toEqual(rows);
  });

  it('binds LIST parameters for in and not_in, cast to the column type', async () => {
    const listed = (sql: string, params: Record<string, JsonValue>) =>
      run(`${sql} ORDER BY region, day`, params);
    const byRegion = await listed('SELECT region FROM dataset WHERE list_contains($r, region)', {
      r: ['North', 'East'],
    });
    expect(byRegion.rows).toEqual([['East'], ['North'], ['North']]);
    const byUnits = await listed('SELECT region FROM dataset WHERE NOT list_contains($u, units)', {
      u: [10, 7, 1],
    });
    expect(byUnits.rows).toEqual([['South'], ['West']]);
    const byDay = await listed('SELECT region FROM dataset WHERE list_contains($d, day)', {
      d: ['2024-05-02', '2024-06-03'],
    });
    expect(byDay.rows).toEqual([['East'], ['South']]);
    const none = await listed('SELECT region FROM dataset WHERE NOT list_contains($u, units)', { u: [] });
    expect(none.rowCount).toBe(5);
    const mixed = await listed('SELECT region FROM dataset WHERE list_contains($r, revenue)', {
      r: [50, 70.25, null],
    });
    expect(mixed.rows).toEqual([['North'], ['South']]);
    const subquery = await listed('SELECT region FROM dataset WHERE units IN (SELECT unnest($u))', {
      u: [5, 3],
    });
    expect(subquery.rows).toEqual([['South'], ['West']]);
    await expect(
      listed('SELECT region FROM dataset WHERE list_contains($d, day)', { d: ['not a date'] }),
    ).rejects.toMatchObject({
      code: 'query_error',
    });
  });

  it('runs compiled structured queries: in / not_in, between, contains, quantile', async () => {
    const structured = (input: unknown, parameters: Record<string, JsonValue> = {}) => {
      const compiled = compileStructuredQuery(ZStructuredQuery.parse(input), [
        'region',
        'month',
        'day',
        'units',
        'revenue',
      ]);
      return run(compiled.sql, { ...parameters, ...compiled.literals });
    };
    const inDays = await structured({
      group_by: ['region'],
      aggregates: [{ fn: 'sum', column: 'units', as: 'units' }],
      filters: [{ column: 'day', op: 'in', value: ['2024-05-01', '2024-06-01', '2024-05-20'] }],
      order_by: [{ column: 'units', direction: 'desc' }],
    });
    expect(inDays.rows).toEqual([
      ['North', 17],
      ['West', 3],
    ]);
    const notIn = await structured(
      {
        filters: [{ column: 'region', op: 'not_in', value: { param: 'skip' } }],
        order_by: [{ column: 'day' }],
      },
      { skip: ['North', 'South'] },
    );
    expect(notIn.rows.map((row) => row[0])).toEqual(['West', 'East']);
    const between = await structured({
      aggregates: [{ fn: 'count' }],
      filters: [{ column: 'day', op: 'between', value: ['2024-05-02', '2024-06-01'] }],
    });
    expect(between.rows).toEqual([[3]]);
    const contains = await structured({
      aggregates: [{ fn: 'count_distinct', column: 'region' }],
      filters: [{ column: 'units', op: 'contains', value: '0' }],
    });
    expect(contains.rows).toEqual([[1]]);
    const stats = await structured({
      aggregates: [
        { fn: 'median', column: 'units' },
        { fn: 'quantile', column: 'units', q: 1 },
        { fn: 'avg', column: 'revenue' },
      ],
    });
    expect(stats).toMatchObject({
      columns: ['median_units', 'quantile_units', 'avg_revenue'],
      rows: [[5, 10, 62.6875]],
    });
  });

  it('returns the first inlineRowLimit rows in order and spills the whole result to Parquet', async () => {
    const spillPath = path.join(t.dir, 'spilled.parquet');
    const result = await t.engine.execute({
      sql: 'SELECT id, label FROM dataset WHERE id >= $min ORDER BY id DESC',
      params: { min: 100 },
      datasetPath: numbers,
      inlineRowLimit: 3,
      spillPath,
    });
    expect(result).toEqual({
      columns: ['id', 'label'],
      rows: [
        [4999, 'n4999'],
        [4998, 'n4998'],
        [4997, 'n4997'],
      ],
      rowCount: 4900,
      spilledTo: spillPath,
      spilledBytes: (await stat(spillPath)).size,
    });
    const back = await t.engine.execute({
      sql: 'SELECT count(*) AS n, min(id) AS lo, max(id) AS hi, first(id) AS first_id FROM dataset',
      params: {},
      datasetPath: spillPath,
      inlineRowLimit: 10,
    });
    expect(back.rows).toEqual([[4900, 100, 4999, 4999]]);
    const head = await t.engine.execute({
      sql: 'SELECT * FROM dataset',
      params: {},
      datasetPath: spillPath,
      inlineRowLimit: 2,
    });
    expect(head.rows).toEqual([
      [4999, 'n4999'],
      [4998, 'n4998'],
    ]);
    expect((await readdir(t.dir)).filter((file) => file.includes('.tmp-'))).toEqual([]);
  });

  it('pages and streams a spilled result in its order', async () => {
    const spillPath = path.join(t.dir, 'paged.parquet');
    await t.engine.execute({
      sql: 'SELECT id, label FROM dataset ORDER BY id DESC',
      params: {},
      datasetPath: numbers,
      inlineRowLimit: 10,
      spillPath,
    });
    const page = await t.engine.readResultPage(spillPath, 4990, 20);
    expect(page.columns).toEqual(['id', 'label']);
    expect(page.rows).toEqual(Array.from({ length: 10 }, (_, i) => [9 - i, `n${9 - i}`]));
    const streamed: JsonValue[][] = [];
    for await (const chunk of t.engine.streamResult(spillPath)) {
      expect(chunk.columns).toEqual(['id', 'label']);
      streamed.push(...chunk.rows);
    }
    expect(streamed).toHaveLength(5000);
    expect(streamed[0]).toEqual([4999, 'n4999']);
    expect(streamed[4999]).toEqual([0, 'n0']);
    // Leaving a stream early releases it: the engine keeps working.
    for await (const _chunk of t.engine.streamResult(spillPath)) break;
    expect((await t.engine.readResultPage(spillPath, 0, 1)).rows).toEqual([[4999, 'n4999']]);
  });

  it('refuses a result over maxRows before writing anything', async () => {
    const spillPath = path.join(t.dir, 'too-big.parquet');
    await expect(
      t.engine.execute({
        sql: 'SELECT id FROM dataset',
        params: {},
        datasetPath: numbers,
        inlineRowLimit: 10,
        spillPath,
        maxRows: 4999,
      }),
    ).rejects.toMatchObject({
      code: 'query_error',
      message: expect.stringMatching(/more than 4999 rows, the most this server keeps/),
    });
    expect((await readdir(t.dir)).filter((file) => file.startsWith('too-big'))).toEqual([]);
  });

  it('refuses a result file over maxResultBytes, leaving no file, on both spill paths', async () => {
    const spillPath = path.join(t.dir, 'too-many-bytes.parquet');
    // 5,000 rows of 32 hex characters: far more than 4 KB of Parquet however it compresses.
    const sql = 'SELECT id, md5(label) AS h FROM dataset';
    for (const heldRowsMax of [100_000, 10]) {
      await expect(
        t.engine.execute({
          sql,
          params: {},
          datasetPath: numbers,
          inlineRowLimit: 10,
          spillPath,
          maxResultBytes: 4_096,
          heldRowsMax,
        }),
      ).rejects.toMatchObject({
        code: 'query_error',
        message: expect.stringMatching(
          /more than the 4096 this server keeps for one job \(RESULT_MAX_BYTES\)/,
        ),
      });
      expect((await readdir(t.dir)).filter((file) => file.startsWith('too-many-bytes'))).toEqual([]);
    }
    const fits = await t.engine.execute({
      sql,
      params: {},
      datasetPath: numbers,
      inlineRowLimit: 10,
      spillPath,
    });
    expect(fits.spilledBytes).toBeGreaterThan(4_096);
  });

  it('cuts the inline page to inlineMaxBytes of JSON and spills the whole result', async () => {
    const spillPath = path.join(t.dir, 'wide-rows.parquet');
    // 20 rows of ~1 KB each: under the row limit, over the byte limit.
    const result = await t.engine.execute({
      sql: "SELECT id, repeat('x', 1000) AS wide FROM dataset ORDER BY id LIMIT 20",
      params: {},
      datasetPath: numbers,
      inlineRowLimit: 100,
      inlineMaxBytes: 5_000,
      spillPath,
    });
    expect(result.rowCount).toBe(20);
    expect(result.rows.length).toBe(4);
    expect(JSON.stringify(result.rows).length).toBeLessThanOrEqual(5_000);
    expect(result.spilledTo).toBe(spillPath);
    const whole = await t.engine.readResultPage(spillPath, 0, 100);
    expect(whole.rows.map((row) => row[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('does not spill a result that fits inline, and can return no rows at all', async () => {
    const spillPath = path.join(t.dir, 'not-spilled.parquet');
    const fits = await run('SELECT region FROM dataset', {}, { inlineRowLimit: 5, spillPath });
    expect(fits.spilledTo).toBeUndefined();
    expect(await readdir(t.dir)).not.toContain('not-spilled.parquet');
    const none = await run('SELECT region, units FROM dataset', {}, { inlineRowLimit: 0 });
    expect(none).toEqual({ columns: ['region', 'units'], rows: [], rowCount: 5 });
  });

  it('runs two queries at once on one engine, each over its own dataset', async () => {
    const sql = 'SELECT count(*) AS n, (SELECT count(*) FROM dataset) AS again FROM dataset';
    const [a, b, c] = await Promise.all([
      t.engine.execute({ sql, params: {}, datasetPath: sales, inlineRowLimit: 1 }),
      t.engine.execute({ sql, params: {}, datasetPath: numbers, inlineRowLimit: 1 }),
      t.engine.execute({ sql, params: {}, datasetPath: sales, inlineRowLimit: 1 }),
    ]);
    expect([a?.rows, b?.rows, c?.rows]).toEqual([[[5, 5]], [[5000, 5000]], [[5, 5]]]);
  });
  it('runs more queries at once than it has progress connections, and reuses them cleanly', async () => {
    const small = await createTempEngine({ progressConnections: 1 });
    try {
      const csv = path.join(small.dir, 'a.csv');
      await writeFile(csv, 'v\n1\n2\n3\n');
      const a = path.join(small.dir, 'a.parquet');
      await small.engine.ingest({ sourcePath: csv, format: 'csv', targetPath: a });
      const sql = 'SELECT sum(v) + $k AS s FROM dataset';
      const results = await Promise.all(
        [1, 2, 3, 4].map((k) =>
          small.engine.execute({ sql, params: { k }, datasetPath: a, inlineRowLimit: 1 }),
        ),
      );
      expect(results.map((r) => r.rows)).toEqual([[[7]], [[8]], [[9]], [[10]]]);

      // One pooled connection, reused by each query in turn: it switches datasets, spills,
      // fails, and comes back with nothing of any earlier query left on it.
      const bCsv = path.join(small.dir, 'b.csv');
      await writeFile(bCsv, 'v\n10\n20\n');
      const b = path.join(small.dir, 'b.parquet');
      await small.engine.ingest({ sourcePath: bCsv, format: 'csv', targetPath: b });
      const one = (datasetPath: string, query: string, extra: Partial<ExecuteOptions> = {}) =>
        small.engine.execute({ sql: query, params: {}, datasetPath, inlineRowLimit: 1, ...extra });
      expect((await one(b, 'SELECT sum(v) FROM dataset')).rows).toEqual([[30]]);
      expect((await one(a, 'SELECT sum(v) FROM dataset')).rows).toEqual([[6]]);
      const spillPath = path.join(small.dir, 'spilled.parquet');
      expect(await one(b, 'SELECT v FROM dataset ORDER BY v', { spillPath })).toMatchObject({
        rows: [[10]],
        rowCount: 2,
        spilledTo: spillPath,
      });
      await expect(one(a, "SELECT CAST('x' AS INTEGER) FROM dataset")).rejects.toMatchObject({
        code: 'query_error',
      });
      expect((await one(a, 'SELECT sum(v) FROM dataset')).rows).toEqual([[6]]);
      const leftovers = await one(
        b,
        'SELECT (SELECT count(*) FROM duckdb_tables() WHERE temporary), (SELECT sum(v) FROM dataset)',
      );
      expect(leftovers.rows).toEqual([[0, 30]]);
    } finally {
      await small.cleanup();
    }
  });

  // A spill is written from rows held here, or, past heldRowsMax, by DuckDB from a table.
  it.each([
    ['held here', undefined],
    ['run again into a table', 100],
  ])('names duplicate columns alike inline and in the spilled file (%s)', async (_how, heldRowsMax) => {
    const spillPath = path.join(t.dir, `duplicates-${heldRowsMax ?? 'held'}.parquet`);
    const result = await run(
      'SELECT id AS a, label AS a, id * 2 AS A, 1 AS a_1 FROM dataset ORDER BY id',
      {},
      { datasetPath: numbers, inlineRowLimit: 2, spillPath, heldRowsMax },
    );
    // As DuckDB's CREATE TABLE AS names them: case-insensitive, a suffix per name.
    expect(result).toMatchObject({
      columns: ['a', 'a_1', 'A_2', 'a_1_1'],
      rowCount: 5000,
      spilledTo: spillPath,
    });
    expect(result.rows).toEqual([
      [0, 'n0', 0, 1],
      [1, 'n1', 2, 1],
    ]);
    const page = await t.engine.readResultPage(spillPath, 4999, 1);
    expect(page).toEqual({ columns: result.columns, rows: [[4999, 'n4999', 9998, 1]] });
  });

  it('counts a result past the first page without holding it when nothing is spilled', async () => {
    const result = await run(
      'SELECT id FROM dataset ORDER BY id',
      {},
      { datasetPath: numbers, inlineRowLimit: 3 },
    );
    expect(result).toEqual({ columns: ['id'], rows: [[0], [1], [2]], rowCount: 5000 });
  });

  it('refuses a result over maxRows whichever way it would be spilled', async () => {
    for (const heldRowsMax of [undefined, 100]) {
      await expect(
        run(
          'SELECT id FROM dataset',
          {},
          {
            datasetPath: numbers,
            inlineRowLimit: 2,
            maxRows: 4000,
            heldRowsMax,
            spillPath: path.join(t.dir, 'too-many.parquet'),
          },
        ),
      ).rejects.toMatchObject({
        code: 'query_error',
        message: expect.stringContaining('more than 4000 rows, the most this server keeps'),
      });
    }
    expect(await readdir(t.dir)).not.toContain('too-many.parquet');
  });
});

describe('sandbox at execute time (even without vetSql)', () => {
  it('runs nothing but a query, and the pooled connection stays as it was', async () => {
    const small = await createTempEngine({ progressConnections: 1 });
    try {
      const csv = path.join(small.dir, 'v.csv');
      await writeFile(csv, 'v\n1\n2\n');
      const datasetPath = path.join(small.dir, 'v.parquet');
      await small.engine.ingest({ sourcePath: csv, format: 'csv', targetPath: datasetPath });
      const one = (sql: string) => small.engine.execute({ sql, params: {}, datasetPath, inlineRowLimit: 5 });
      expect((await one('SELECT sum(v) FROM dataset')).rows).toEqual([[3]]);
      for (const sql of [
        'DROP VIEW dataset',
        'CREATE TEMP TABLE kept AS SELECT 1',
        'CREATE OR REPLACE TEMP VIEW dataset AS SELECT 42 AS v',
        'CHECKPOINT',
      ]) {
        await expect(one(sql)).rejects.toMatchObject({ code: 'invalid_query' });
      }
      expect((await one('SELECT sum(v) FROM dataset')).rows).toEqual([[3]]);
    } finally {
      await small.cleanup();
    }
  });

  it('reads nothing outside the data directory', async () => {
    for (const sql of [
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/passwd')",
      `SELECT * FROM read_text('${t.dir}/../../etc/passwd')`,
      "SELECT * FROM glob('/etc/*')",
    ]) {
      await expect(run(sql)).rejects.toMatchObject({
        code: 'query_error',
        message: expect.stringMatching(/disabled by configuration/),
      });
    }
  });

  it('does not follow a symlink out of the data directory', async () => {
    await symlink('/etc/passwd', path.join(t.dir, 'escape.csv'));
    await expect(run(`SELECT * FROM read_text('${t.dir}/escape.csv')`)).rejects.toMatchObject({
      code: 'query_error',
    });
  });

  it('still reads files inside the data directory, and keeps its settings locked', async () => {
    expect((await run(`SELECT count(*) FROM read_csv('${t.dir}/sales.csv')`)).rows).toEqual([[5]]);
    const settings = await run(
      "SELECT current_setting('enable_external_access'), current_setting('lock_configuration'), current_setting('threads')",
    );
    expect(settings.rows).toEqual([[false, true, 2]]);
  });

  it('keeps no server path in error messages', async () => {
    const error = await t.engine
      .execute({
        sql: 'SELECT 1',
        params: {},
        datasetPath: path.join(t.dir, 'missing.parquet'),
        inlineRowLimit: 1,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'EngineError' });
    expect((error as Error).message).not.toContain(t.dir);
  });
});
