import {
  AGGREGATE_FUNCTIONS,
  FILTER_OPERATORS,
  type TAggregate,
  type TFilter,
  ZStructuredQuery,
} from '@repo/contracts';
import { compileStructuredQuery } from './compile-structured-query';
import { createTempEngine, type TempEngine } from './temp-engine.fixture';

/**
 * Structured queries compile to SQL that goes through the same vetting as user SQL at run
 * time, so every aggregate and every filter operator must compile to SQL the vetting accepts.
 */

const COLUMNS = ['region', 'revenue'];

function aggregateOf(fn: TAggregate['fn']): TAggregate {
  return fn === 'quantile' ? { fn, column: 'revenue', q: 0.9 } : { fn, column: 'revenue' };
}

/** Each operator with a value it accepts: a literal, and a run-time parameter where it takes one. */
function filtersOf(op: TFilter['op']): TFilter[] {
  switch (op) {
    case 'is_null':
    case 'not_null':
      return [{ column: 'region', op }];
    case 'between':
      return [{ column: 'revenue', op, value: [1, 5] }];
    case 'in':
    case 'not_in':
      return [
        { column: 'region', op, value: ['North', 'South'] },
        { column: 'region', op, value: { param: 'regions' } },
      ];
    default:
      return [
        { column: 'region', op, value: 'North' },
        { column: 'region', op, value: { param: 'region' } },
      ];
  }
}

let t: TempEngine;
beforeAll(async () => {
  t = await createTempEngine();
});
afterAll(() => t.cleanup());

async function expectVetted(input: unknown): Promise<void> {
  const compiled = compileStructuredQuery(ZStructuredQuery.parse(input), COLUMNS);
  const bound = [...compiled.parameters, ...Object.keys(compiled.literals)].sort();
  await expect(t.engine.vetSql(compiled.sql)).resolves.toEqual({ parameters: bound });
}

describe('compiled structured queries pass the SQL vetting', () => {
  it.each([...AGGREGATE_FUNCTIONS])('aggregate %s', async (fn) => {
    await expectVetted({
      group_by: ['region'],
      aggregates: [aggregateOf(fn)],
      order_by: [{ column: 'region' }],
    });
  });

  it('count of rows, without a column', async () => {
    await expectVetted({ aggregates: [{ fn: 'count' }] });
  });

  it.each([...FILTER_OPERATORS])('filter %s', async (op) => {
    for (const filter of filtersOf(op)) {
      await expectVetted({
        filters: [filter],
        order_by: [{ column: 'revenue', direction: 'desc' }],
        limit: 10,
      });
    }
  });
});
