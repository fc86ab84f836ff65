import { jsonShapeProblem, MAX_JSON_DEPTH } from './json-body';

describe('jsonShapeProblem', () => {
  it.each([
    '{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}',
    '{"a":"\\"a\\":1,\\"a\\":2","b":"}{][,"}',
    `${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`,
    '{"constructor":1,"prototype":2}',
    '{"a":1,',
    '',
  ])('lets %s through (JSON.parse judges what is not JSON)', (text) => {
    expect(jsonShapeProblem(text)).toBeNull();
  });

  it.each([
    ['{"a":1,"a":2}', /"a" appears twice/],
    ['{"x":{"b":1,"c":2,"b":3}}', /"b" appears twice/],
    ['[{"a":1},{"b":1,"\\u0062":2}]', /"b" appears twice/],
    ['{"__proto__":{"x":1}}', /__proto__/],
    ['{"p":{"__proto__":1}}', /__proto__/],
    [`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`, /deeper than 32/],
  ])('refuses %s', (text, problem) => {
    expect(jsonShapeProblem(text)).toMatch(problem);
  });
});
