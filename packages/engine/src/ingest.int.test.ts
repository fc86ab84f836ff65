import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetFormat } from './engine-types';
import { createTempEngine, type TempEngine } from './temp-engine.fixture';

let t: TempEngine;
beforeAll(async () => {
  t = await createTempEngine();
});
afterAll(() => t.cleanup());

async function upload(name: string, content: string | Buffer): Promise<string> {
  const file = path.join(t.dir, name);
  await writeFile(file, content);
  return file;
}

async function ingest(name: string, content: string | Buffer, format: DatasetFormat) {
  const sourcePath = await upload(name, content);
  return t.engine.ingest({ sourcePath, format, targetPath: path.join(t.dir, `${name}.parquet`) });
}

async function rows(name: string) {
  const result = await t.engine.execute({
    sql: 'SELECT * FROM dataset',
    params: {},
    datasetPath: path.join(t.dir, `${name}.parquet`),
    inlineRowLimit: 100,
  });
  return result.rows;
}

/** Ingests something that must fail, and checks nothing is left at the target or beside it. */
async function ingestFailure(name: string, content: string | Buffer, format: DatasetFormat) {
  const error = await ingest(name, content, format).then(
    () => {
      throw new Error(`${name} was accepted`);
    },
    (e: unknown) => e,
  );
  const left = (await readdir(t.dir)).filter((file) => file.startsWith(`${name}.parquet`));
  expect(left).toEqual([]);
  return error;
}

describe('ingest', () => {
  it('reads CSV with quoted commas, newlines, doubled quotes, unicode and empty fields as NULL', async () => {
    const csv = 'id,text,amount\n1,"a, b",1.5\n2,"line1\nline2",\n3,"say ""hi""",3\n4,,4.25\n5,héllo 🌍,5\n';
    const result = await ingest('quoted.csv', csv, 'csv');
    expect(result.rowCount).toBe(5);
    expect(result.columns).toEqual([
      { name: 'id', dtype: 'BIGINT', null_count: 0 },
      { name: 'text', dtype: 'VARCHAR', null_count: 1 },
      { name: 'amount', dtype: 'DOUBLE', null_count: 1 },
    ]);
    expect(result.sizeBytes).toBeGreaterThan(0);
    expect(await rows('quoted.csv')).toEqual([
      [1, 'a, b', 1.5],
      [2, 'line1\nline2', null],
      [3, 'say "hi"', 3],
      [4, null, 4.25],
      [5, 'héllo 🌍', 5],
    ]);
  });

  it('detects a semicolon delimiter from the header', async () => {
    const result = await ingest('semi.csv', 'a;b\n1;"x;y"\n2;z\n', 'csv');
    expect(result.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect(await rows('semi.csv')).toEqual([
      [1, 'x;y'],
      [2, 'z'],
    ]);
  });

  it('infers types from every row: text late in a numeric column makes it VARCHAR', async () => {
    const lines = ['n,code'];
    for (let i = 0; i < 30_000; i += 1) lines.push(`${i},${i}`);
    lines.push('30000,N/A');
    const result = await ingest('late.csv', `${lines.join('\n')}\n`, 'csv');
    expect(result.rowCount).toBe(30_001);
    expect(result.columns).toEqual([
      { name: 'n', dtype: 'BIGINT', null_count: 0 },
      { name: 'code', dtype: 'VARCHAR', null_count: 0 },
    ]);
  });

  it('reads NDJSON and a JSON array of objects, keys missing on some records becoming NULL', async () => {
    const ndjson = await ingest('events.ndjson', '{"a":1,"b":"x"}\n{"a":2}\n{"b":"z","c":true}\n', 'ndjson');
    expect(ndjson).toMatchObject({
      rowCount: 3,
      columns: [
        { name: 'a', dtype: 'BIGINT', null_count: 1 },
        { name: 'b', dtype: 'VARCHAR', null_count: 1 },
        { name: 'c', dtype: 'BOOLEAN', null_count: 2 },
      ],
    });
    const json = await ingest('items.json', '[{"k":"a","v":1.5},{"k":"b","v":null}]', 'json');
    expect(json.rowCount).toBe(2);
    expect(json.columns).toEqual([
      { name: 'k', dtype: 'VARCHAR', null_count: 0 },
      { name: 'v', dtype: 'DOUBLE', null_count: 1 },
    ]);
    expect(await rows('items.json')).toEqual([
      ['a', 1.5],
      ['b', null],
    ]);
  });

  it('re-writes a Parquet upload and describes it', async () => {
    await ingest('src.csv', 'x,y\n1,a\n2,\n', 'csv');
    const result = await t.engine.ingest({
      sourcePath: path.join(t.dir, 'src.csv.parquet'),
      format: 'parquet',
      targetPath: path.join(t.dir, 'copy.parquet'),
    });
    expect(result).toMatchObject({ rowCount: 2, columns: [{ name: 'x' }, { name: 'y', null_count: 1 }] });
    expect(await t.engine.describeDataset(path.join(t.dir, 'copy.parquet'))).toEqual([
      { name: 'x', dtype: 'BIGINT', null_count: 0 },
      { name: 'y', dtype: 'VARCHAR', null_count: 1 },
    ]);
  });

  it.each([
    ['bad-count.csv', 'a,b,c\n1,2,3\n4,5,6,7\n8,9,10\n', 'csv', 'CSV line 3: expected 3 columns, found 4.'],
    ['short.csv', 'a,b,c\n1,2\n', 'csv', 'CSV line 2: expected 3 columns, found 2.'],
    [
      'quote.csv',
      'a,b\n1,"never closed\n2,3\n',
      'csv',
      'CSV line 2: a quoted value is never closed (unterminated quote).',
    ],
    ['header-only.csv', 'a,b\n', 'csv', 'The file has no data rows.'],
    [
      'blank-header.csv',
      '\n1,2\n',
      'csv',
      'CSV line 1: the header row is empty; the first line must name the columns.',
    ],
    ['empty.csv', '', 'csv', 'The file is empty.'],
    [
      'bad.ndjson',
      '{"a":1}\n{"a":2,\n{"a":3}\n',
      'ndjson',
      'NDJSON line 3, byte 9: malformed JSON (unexpected character).',
    ],
    ['scalars.ndjson', '1\n2\n', 'ndjson', 'NDJSON: every line must be a JSON object.'],
    ['empty.json', '[]', 'json', 'The file has no data rows.'],
    ['object.json', '{"a":1}', 'json', expect.stringMatching(/^JSON: expected one array of objects/)],
    [
      'malformed.json',
      '[{"a":1},{"a":2,]',
      'json',
      expect.stringMatching(/^JSON record \d+, byte \d+: malformed JSON/),
    ],
    [
      'truncated.json',
      '[{"a":1},{"a":2}',
      'json',
      'The JSON array is not closed: the file ends before its final "]".',
    ],
    [
      'cut-at-record.json',
      '[{"a":1},',
      'json',
      'The JSON array is not closed: the file ends before its final "]".',
    ],
    [
      'fake.parquet',
      'this is not parquet',
      'parquet',
      'The file is not a valid Parquet file (no magic bytes found at end of file).',
    ],
  ] as const)('refuses %s with a message saying what and where', async (name, content, format, message) => {
    const error = await ingestFailure(name, content, format);
    expect(error).toMatchObject({ name: 'EngineError', code: 'invalid_dataset', message });
    expect((error as Error).message).not.toContain(t.dir);
  });

  it('finds a malformed line far beyond the sniffer sample', async () => {
    const lines = ['a,b'];
    for (let i = 0; i < 50_000; i += 1) lines.push(`${i},x`);
    lines.push('1,2,3');
    const error = await ingestFailure('late-bad.csv', `${lines.join('\n')}\n`, 'csv');
    expect(error).toMatchObject({
      code: 'invalid_dataset',
      message: 'CSV line 50002: expected 2 columns, found 3.',
    });
  });

  // Its speed is measured by the benchmarks (pair 6), not asserted here.
  it('converts a million-row CSV', async () => {
    const chunk: string[] = [];
    for (let i = 0; i < 1_000_000; i += 1) chunk.push(`${i},r${i % 8},${(i % 1000) / 10}`);
    const result = await ingest('million.csv', `id,region,amount\n${chunk.join('\n')}\n`, 'csv');
    expect(result.rowCount).toBe(1_000_000);
    expect(result.columns.map((c) => c.dtype)).toEqual(['BIGINT', 'VARCHAR', 'DOUBLE']);
  });
});
