import { type TStructuredQuery, ZStructuredQuery } from '@repo/contracts';
import { compileStructuredQuery } from './compile-structured-query';
import { EngineError } from './engine-error';

const query = (input: unknown): TStructuredQuery => ZStructuredQuery.parse(input);

function compileError(input: TStructuredQuery, knownColumns?: string[]): EngineError {
  try {
    compileStructuredQuery(input, knownColumns);
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
  throw new Error('expected compileStructuredQuery to throw');
}

describe('compileStructuredQuery', () => {
  it('selects every column when nothing is grouped or aggregated', () => {
    expect(compileStructuredQuery(query({}))).toEqual({
      sql: 'SELECT * FROM dataset',
      parameters: [],
      literals: {},
    });
  });

  it('compiles the documented example with a run-time parameter', () => {
    const compiled = compileStructuredQuery(
      query({
        group_by: ['region'],
        aggregates: [{ fn: 'sum', column: 'revenue', as: 'total_revenue' }],
        filters: [{ column: 'month', op: 'eq', value: { param: 'month' } }],
        order_by: [{ column: 'total_revenue', direction: 'desc' }],
        limit: 100,
      }),
    );
    expect(compiled).toEqual({
      sql:
        'SELECT "region", sum("revenue") AS "total_revenue" FROM dataset WHERE "month" = $month ' +
        'GROUP BY "region" ORDER BY "total_revenue" DESC LIMIT 100',
      parameters: ['month'],
      literals: {},
    });
  });

  it('binds literal values as __v parameters and never writes them into the SQL', () => {
    const compiled = compileStructuredQuery(
      query({
        filters: [
          { column: 'name', op: 'neq', value: "x'; DROP TABLE dataset; --" },
          { column: 'n', op: 'gte', value: 3 },
          { column: 'ok', op: 'eq', value: true },
        ],
      }),
    );
    expect(compiled.sql).toBe(
      'SELECT * FROM dataset WHERE "name" <> $__v0 AND "n" >= $__v1 AND "ok" = $__v2',
    );
    expect(compiled.literals).toEqual({ __v0: "x'; DROP TABLE dataset; --", __v1: 3, __v2: true });
    expect(compiled.sql).not.toContain('DROP');
  });

  it('double-quotes identifiers and doubles their embedded quotes', () => {
    const compiled = compileStructuredQuery(
      query({ group_by: ['we"ird; col'], aggregates: [{ fn: 'count' }] }),
    );
    expect(compiled.sql).toBe(
      'SELECT "we""ird; col", count(*) AS "count" FROM dataset GROUP BY "we""ird; col"',
    );
  });

  it('compiles every aggregate with its default alias', () => {
    const compiled = compileStructuredQuery(
      query({
        aggregates: [
          { fn: 'count' },
          { fn: 'count', column: 'a' },
          { fn: 'count_distinct', column: 'a' },
          { fn: 'sum', column: 'a' },
          { fn: 'avg', column: 'a' },
          { fn: 'min', column: 'a' },
          { fn: 'max', column: 'a' },
          { fn: 'median', column: 'a' },
          { fn: 'quantile', column: 'a', q: 0.9 },
        ],
      }),
    );
    expect(compiled.sql).toBe(
      'SELECT count(*) AS "count", count("a") AS "count_a", count(DISTINCT "a") AS "count_distinct_a", ' +
        'sum("a") AS "sum_a", avg("a") AS "avg_a", min("a") AS "min_a", max("a") AS "max_a", ' +
        'median("a") AS "median_a", quantile_cont("a", $__v0) AS "quantile_a" FROM dataset',
    );
    expect(compiled.literals).toEqual({ __v0: 0.9 });
  });

  it('groups without aggregates (distinct combinations)', () => {
    expect(compileStructuredQuery(query({ group_by: ['a', 'b'] })).sql).toBe(
      'SELECT "a", "b" FROM dataset GROUP BY "a", "b"',
    );
  });

  it('compiles every filter operator', () => {
    const compiled = compileStructuredQuery(
      query({
        filters: [
          { column: 'a', op: 'eq', value: 1 },
          { column: 'a', op: 'neq', value: 1 },
          { column: 'a', op: 'gt', value: 1 },
          { column: 'a', op: 'gte', value: 1 },
          { column: 'a', op: 'lt', value: 1 },
          { column: 'a', op: 'lte', value: 1 },
          { column: 'a', op: 'in', value: [1, 2] },
          { column: 'a', op: 'not_in', value: { param: 'excluded' } },
          { column: 'a', op: 'between', value: [1, 5] },
          { column: 'a', op: 'is_null' },
          { column: 'a', op: 'not_null' },
          { column: 'a', op: 'contains', value: 'x' },
        ],
      }),
    );
    expect(compiled.sql).toBe(
      'SELECT * FROM dataset WHERE "a" = $__v0 AND "a" <> $__v1 AND "a" > $__v2 AND "a" >= $__v3 ' +
        'AND "a" < $__v4 AND "a" <= $__v5 AND list_contains($__v6, "a") AND NOT list_contains($excluded, "a") ' +
        'AND "a" BETWEEN $__v7 AND $__v8 AND "a" IS NULL AND "a" IS NOT NULL ' +
        'AND contains(CAST("a" AS VARCHAR), $__v9)',
    );
    expect(compiled.literals).toEqual({
      __v0: 1,
      __v1: 1,
      __v2: 1,
      __v3: 1,
      __v4: 1,
      __v5: 1,
      __v6: [1, 2],
      __v7: 1,
      __v8: 5,
      __v9: 'x',
    });
    expect(compiled.parameters).toEqual(['excluded']);
  });

  it('lists run-time parameters sorted and once each', () => {
    const compiled = compileStructuredQuery(
      query({
        filters: [
          { column: 'm', op: 'eq', value: { param: 'month' } },
          { column: 'r', op: 'in', value: { param: 'regions' } },
          { column: 'x', op: 'gt', value: { param: 'month' } },
          { column: 'y', op: 'contains', value: { param: 'alpha' } },
        ],
      }),
    );
    expect(compiled.parameters).toEqual(['alpha', 'month', 'regions']);
  });

  it.each([
    [{ column: 'a', op: 'eq' }, 'query.filters.0.value', /needs a value/],
    [{ column: 'a', op: 'is_null', value: 1 }, 'query.filters.0.value', /takes no value/],
    [{ column: 'a', op: 'not_null', value: { param: 'p' } }, 'query.filters.0.value', /takes no value/],
    [{ column: 'a', op: 'in', value: 1 }, 'query.filters.0.value', /array of values or a parameter/],
    [{ column: 'a', op: 'between', value: [1] }, 'query.filters.0.value', /exactly two/],
    [{ column: 'a', op: 'between', value: [1, 2, 3] }, 'query.filters.0.value', /exactly two/],
    [{ column: 'a', op: 'between', value: { param: 'range' } }, 'query.filters.0.value', /exactly two/],
    [{ column: 'a', op: 'gt', value: [1, 2] }, 'query.filters.0.value', /one value, not an array/],
  ])('refuses the filter %j', (filter, detail, message) => {
    const error = compileError(query({ filters: [filter] }));
    expect(error.code).toBe('invalid_query');
    expect(error.details).toEqual([detail]);
    expect(error.message).toMatch(message);
  });

  it('refuses aggregates without the column or q they need, and q where it means nothing', () => {
    expect(compileError(query({ aggregates: [{ fn: 'count' }, { fn: 'sum' }] })).details).toEqual([
      'query.aggregates.1.column',
    ]);
    expect(compileError(query({ aggregates: [{ fn: 'quantile', column: 'a' }] })).details).toEqual([
      'query.aggregates.0.q',
    ]);
    expect(compileError(query({ aggregates: [{ fn: 'sum', column: 'a', q: 0.5 }] })).details).toEqual([
      'query.aggregates.0.q',
    ]);
  });

  it('refuses two output columns with the same name', () => {
    const error = compileError(query({ group_by: ['sum_a'], aggregates: [{ fn: 'sum', column: 'a' }] }));
    expect(error.code).toBe('invalid_query');
    expect(error.message).toMatch(/"sum_a"/);
    expect(compileError(query({ aggregates: [{ fn: 'count' }, { fn: 'count' }] })).message).toMatch(
      /"count"/,
    );
  });

  it('orders an aggregating query only by its output columns', () => {
    const error = compileError(
      query({ group_by: ['region'], aggregates: [{ fn: 'count' }], order_by: [{ column: 'revenue' }] }),
    );
    expect(error.details).toEqual(['query.order_by.0.column']);
    expect(
      compileStructuredQuery(
        query({ group_by: ['region'], aggregates: [{ fn: 'count' }], order_by: [{ column: 'count' }] }),
      ).sql,
    ).toBe('SELECT "region", count(*) AS "count" FROM dataset GROUP BY "region" ORDER BY "count" ASC');
    expect(
      compileStructuredQuery(query({ order_by: [{ column: 'revenue', direction: 'desc' }], limit: 5 })).sql,
    ).toBe('SELECT * FROM dataset ORDER BY "revenue" DESC LIMIT 5');
  });

  it('checks every referenced column against knownColumns', () => {
    const known = ['region', 'revenue'];
    const cases: unknown[] = [
      { group_by: ['nope'] },
      { aggregates: [{ fn: 'sum', column: 'nope' }] },
      { filters: [{ column: 'nope', op: 'is_null' }] },
      { order_by: [{ column: 'nope' }] },
    ];
    for (const input of cases) {
      const error = compileError(query(input), known);
      expect(error.code).toBe('invalid_query');
      expect(error.details).toEqual(['nope']);
      expect(error.message).toBe(
        'Column "nope" does not exist in the dataset; its columns are: region, revenue.',
      );
    }
    expect(() =>
      compileStructuredQuery(
        query({ group_by: ['region'], aggregates: [{ fn: 'sum', column: 'revenue' }] }),
        known,
      ),
    ).not.toThrow();
  });

  it('refuses a parameter name that could not be pasted safely', () => {
    const unchecked = {
      ...query({}),
      filters: [{ column: 'a', op: 'eq', value: { param: 'x = 1 OR 1' } }],
    } as TStructuredQuery;
    expect(compileError(unchecked).details).toEqual(['query.filters.0.value.param']);
  });
});
