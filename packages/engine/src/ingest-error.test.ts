import { toIngestError } from './ingest-error';

const DIRS = ['/srv/data'];
const fail = (message: string) => new Error(message);

describe('toIngestError', () => {
  it("says which CSV line is malformed and how, without DuckDB's framing", () => {
    const error = toIngestError(
      fail(
        "Invalid Input Error: CSV Error on Line: 3\nOriginal Line: 4,5,6,7\nExpected Number of Columns: 3 Found: 4\nPossible fixes:\n* Disable the parser's strict mode\n\n  file = /srv/data/uploads/u1.csv\n  delimiter = , (Set By User)",
      ),
      'csv',
      DIRS,
    );
    expect(error.code).toBe('invalid_dataset');
    expect(error.message).toBe('CSV line 3: expected 3 columns, found 4.');
  });

  it('names the line and column of a value that does not convert', () => {
    const error = toIngestError(
      fail(
        'Conversion Error: CSV Error on Line: 2000001\nOriginal Line: 1999999,region7,oops\nError when converting column "late". Could not convert string "oops" to \'BIGINT\'\n\nColumn late is being converted as type BIGINT',
      ),
      'csv',
      DIRS,
    );
    expect(error.message).toBe('CSV line 2000001, column "late": could not convert "oops" to BIGINT.');
  });

  it('reports an unterminated quote', () => {
    const error = toIngestError(
      fail(
        'Invalid Input Error: CSV Error on Line: 2\nOriginal Line: 1,"unterminated\n2,3\n\nValue with unterminated quote found.\n\nPossible fixes:',
      ),
      'csv',
      DIRS,
    );
    expect(error.message).toBe('CSV line 2: a quoted value is never closed (unterminated quote).');
  });

  it('reports malformed JSON by line (NDJSON) or record (array), never the file path', () => {
    const ndjson = toIngestError(
      fail(
        'Invalid Input Error: Malformed JSON in file "/srv/data/uploads/u.ndjson", at byte 9 in line 3: unexpected character. \n\nLINE 1: SELECT',
      ),
      'ndjson',
      DIRS,
    );
    expect(ndjson.message).toBe('NDJSON line 3, byte 9: malformed JSON (unexpected character).');
    const json = toIngestError(
      fail(
        'Invalid Input Error: Malformed JSON in file "/srv/data/u.json", at byte 8 in record/value 4: unexpected character. ',
      ),
      'json',
      DIRS,
    );
    expect(json.message).toBe('JSON record 4, byte 8: malformed JSON (unexpected character).');
  });

  it('explains a file that is not Parquet', () => {
    const error = toIngestError(
      fail(
        "Invalid Input Error: No magic bytes found at end of file '/srv/data/uploads/u.parquet'\n\nLINE 1: SELECT",
      ),
      'parquet',
      DIRS,
    );
    expect(error).toMatchObject({
      code: 'invalid_dataset',
      message: 'The file is not a valid Parquet file (no magic bytes found at end of file).',
    });
  });

  it('keeps failures that are not about the content internal', () => {
    expect(
      toIngestError(fail('IO Error: No files found that match the pattern "/srv/data/u.csv"'), 'csv', DIRS),
    ).toMatchObject({
      code: 'internal',
      message: 'IO error: No files found that match the pattern "dataset".',
    });
    expect(toIngestError(fail('Out of Memory Error: could not allocate'), 'json', DIRS).code).toBe(
      'internal',
    );
  });
});
