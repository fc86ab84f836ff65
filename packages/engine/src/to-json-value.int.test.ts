import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTempEngine, type TempEngine } from './temp-engine.fixture';

let t: TempEngine;
let seed: string;

beforeAll(async () => {
  t = await createTempEngine();
  await writeFile(path.join(t.dir, 'seed.csv'), 'x\n1\n');
  seed = path.join(t.dir, 'seed.parquet');
  await t.engine.ingest({ sourcePath: path.join(t.dir, 'seed.csv'), format: 'csv', targetPath: seed });
});
afterAll(() => t.cleanup());

/** Each case: a SQL expression and the JSON it must come back as, through a real query. */
const CASES: [string, unknown][] = [
  ['true', true],
  ['42::TINYINT', 42],
  ['-7::SMALLINT', -7],
  ['2147483647::INTEGER', 2147483647],
  ['9007199254740991::BIGINT', 9007199254740991],
  ['9007199254740993::BIGINT', '9007199254740993'],
  ['(-9223372036854775808)::BIGINT', '-9223372036854775808'],
  ['18446744073709551615::UBIGINT', '18446744073709551615'],
  ['170141183460469231731687303715884105727::HUGEINT', '170141183460469231731687303715884105727'],
  ['12::HUGEINT', 12],
  ['255::UTINYINT', 255],
  ['4294967295::UINTEGER', 4294967295],
  ['48320.50::DECIMAL(10,2)', 48320.5],
  ['1.5::FLOAT', 1.5],
  ['0.1::DOUBLE', 0.1],
  ["'nan'::DOUBLE", null],
  ["'inf'::DOUBLE", null],
  ["'-inf'::FLOAT", null],
  ["DATE '2024-06-01'", '2024-06-01'],
  ["'infinity'::DATE", 'infinity'],
  ["TIMESTAMP '2024-06-01 14:22:10'", '2024-06-01T14:22:10Z'],
  ["TIMESTAMP '2024-06-01 14:22:10.250'", '2024-06-01T14:22:10.25Z'],
  ["TIMESTAMPTZ '2024-06-01 16:22:10+02'", '2024-06-01T14:22:10Z'],
  ["TIMESTAMP_S '2024-06-01 14:22:10'", '2024-06-01T14:22:10Z'],
  ["TIMESTAMP_MS '2024-06-01 14:22:10.5'", '2024-06-01T14:22:10.5Z'],
  ["TIMESTAMP_NS '2024-06-01 14:22:10.123456789'", '2024-06-01T14:22:10.123456789Z'],
  ["'-infinity'::TIMESTAMP", '-infinity'],
  ["TIME '14:22:10'", '14:22:10'],
  ["TIME '14:22:10.5'", '14:22:10.5'],
  ["INTERVAL '1 day 2 hours'", '1 day 02:00:00'],
  ["'2f1b6c3e-43a5-4d1b-9b7e-0d4c2a9e8f10'::UUID", '2f1b6c3e-43a5-4d1b-9b7e-0d4c2a9e8f10'],
  ["'\\xAA\\xBB'::BLOB || 'hi'::BLOB", Buffer.from([0xaa, 0xbb, 0x68, 0x69]).toString('base64')],
  ["'héllo 🌍'", 'héllo 🌍'],
  ["'b'::ENUM('a', 'b')", 'b'],
  ['[1, NULL, 3]', [1, null, 3]],
  ["[DATE '2024-01-01']", ['2024-01-01']],
  ['[[1, 2], [3]]', [[1, 2], [3]]],
  ['[1, 2]::INTEGER[2]', [1, 2]],
  ["{'a': 1, 'b': 'x', 'c': [true]}", { a: 1, b: 'x', c: [true] }],
  ["MAP {'k1': 1.5, 'k2': NULL}", { k1: 1.5, k2: null }],
  ['MAP {1: 2}', { '1': 2 }],
  ['union_value(n := 5)', 5],
  ['NULL', null],
  ['NULL::VARCHAR', null],
];

describe('results as JSON (a real query of every type)', () => {
  it('converts each DuckDB type', async () => {
    const sql = `SELECT ${CASES.map(([expression], index) => `${expression} AS c${index}`).join(', ')}`;
    const result = await t.engine.execute({ sql, params: {}, datasetPath: seed, inlineRowLimit: 1 });
    const row = result.rows[0] ?? [];
    const got = CASES.map(([expression], index) => [expression, row[index]]);
    expect(got).toEqual(CASES);
    // What the API sends must survive JSON unchanged.
    expect(JSON.parse(JSON.stringify(result.rows))).toEqual(result.rows);
  });
});
