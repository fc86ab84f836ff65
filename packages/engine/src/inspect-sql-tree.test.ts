import { inspectSqlTree } from './inspect-sql-tree';

/**
 * Trees DuckDB 1.5.6 cannot produce from SQL, standing in for what a later version might:
 * the walk must refuse what it does not know rather than let it through.
 */
function statementSelecting(expression: object): object {
  return { node: { type: 'SELECT_NODE', select_list: [expression], from_table: { type: 'EMPTY_FROM' } } };
}

describe('inspectSqlTree', () => {
  it('refuses an expression class it does not know', () => {
    expect(() =>
      inspectSqlTree(statementSelecting({ class: 'SOME_NEW_KIND', type: 'SOME_NEW_KIND' })),
    ).toThrow(/expression of a kind \(SOME_NEW_KIND\)/);
  });

  it('holds any node that names a function to the allow list', () => {
    const tree = statementSelecting({
      class: 'CONSTANT',
      type: 'VALUE_CONSTANT',
      extra: { function_name: 'query' },
    });
    expect(() => inspectSqlTree(tree)).toThrow(/The function query\(\) is not allowed/);
  });

  it('accepts a known expression calling an allowed function', () => {
    const call = {
      class: 'FUNCTION',
      type: 'FUNCTION',
      function_name: 'abs',
      schema: '',
      catalog: '',
      children: [],
    };
    expect(inspectSqlTree(statementSelecting(call))).toEqual({ parameters: [] });
  });
});
