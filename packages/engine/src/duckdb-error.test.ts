import {
  cleanDuckDBMessage,
  parseDuckDBError,
  scrubPaths,
  toEngineError,
  unknownColumnOf,
} from './duckdb-error';
import { EngineError } from './engine-error';

const DIRS = ['/srv/data'];

describe('DuckDB error classification', () => {
  it.each([
    'Binder Error: Referenced column "regio" not found in FROM clause!\nCandidate bindings: "region"\n\nLINE 1: SELECT regio FROM dataset\n               ^',
    "Conversion Error: Could not convert string 'x' to INT32\n\nLINE 1: SELECT 'x'::INT\n                  ^",
    'Out of Range Error: Overflow in addition of INT32 (2147483647 + 1)!',
    'Invalid Input Error: Values were not provided for the following prepared statement parameters: p',
    'Catalog Error: Table with name nope does not exist!\nDid you mean "pg_enum"?\n\nLINE 1: SELECT * FROM nope',
    'Parser Error: syntax error at or near "SELEC"',
    'Not implemented Error: Unimplemented type for cast',
    'Permission Error: Cannot access file "/etc/passwd" - file system operations are disabled by configuration',
  ])('query errors are query_error: %s', (message) => {
    const error = toEngineError(new Error(message), DIRS);
    expect(error.code).toBe('query_error');
    expect(error.message).not.toMatch(/LINE 1|Did you mean|Candidate/);
    expect(error.message).toMatch(/\.$/);
  });

  it("keeps DuckDB's useful first line as a sentence", () => {
    expect(
      toEngineError(
        new Error(
          'Binder Error: Referenced column "regio" not found in FROM clause!\nCandidate bindings: "region"',
        ),
        DIRS,
      ).message,
    ).toBe('Referenced column "regio" not found in FROM clause.');
  });

  it('INTERRUPT is interrupted; I/O and memory are internal', () => {
    expect(toEngineError(new Error('INTERRUPT Error: Interrupted!'), DIRS).code).toBe('interrupted');
    const io = toEngineError(
      new Error('IO Error: Could not write file "/srv/data/results/job_1.parquet": No space left'),
      DIRS,
    );
    expect(io.code).toBe('internal');
    expect(io.message).toBe('IO error: Could not write file "dataset": No space left.');
    expect(toEngineError(new Error('Out of Memory Error: failed to allocate'), DIRS).code).toBe('internal');
    expect(toEngineError(new Error('something odd'), DIRS).code).toBe('internal');
  });

  it('passes EngineErrors through unchanged', () => {
    const original = new EngineError('invalid_query', 'No.');
    expect(toEngineError(original, DIRS)).toBe(original);
  });

  it('names no file a query was refused, not even by the relative path it wrote', () => {
    const error = toEngineError(
      new Error(
        'Permission Error: Cannot access file "../globex/datasets/d.parquet" - disabled by configuration',
      ),
      DIRS,
    );
    expect(error.message).toBe('Cannot access file "a file" - disabled by configuration.');
  });

  it('never shows the data directory', () => {
    expect(
      scrubPaths('No files found that match the pattern "/srv/data/datasets/dset_1.parquet"', DIRS),
    ).toBe('No files found that match the pattern "dataset"');
    expect(cleanDuckDBMessage('Cannot open /srv/data/x.tmp-1 and /srv/data', DIRS)).toBe(
      'Cannot open dataset and dataset.',
    );

    // Anyone else's path (another tenant's file, a server file) names nothing at all.
    expect(
      scrubPaths(
        'Permission Error: Cannot access file "/srv/other/tenants/globex/d.parquet" - disabled',
        DIRS,
      ),
    ).toBe('Permission Error: Cannot access file "a file" - disabled');
    expect(scrubPaths("IO Error: No files found that match the pattern '/etc/*' (x=/tmp/y)", DIRS)).toBe(
      "IO Error: No files found that match the pattern 'a file' (x=a file)",
    );
    expect(scrubPaths('Could not convert "a/b" and 1/2 to INT32', DIRS)).toBe(
      'Could not convert "a/b" and 1/2 to INT32',
    );
  });

  it('parses the type prefix and finds the unknown column', () => {
    expect(parseDuckDBError(new Error('Out of Range Error: x'))).toEqual({ type: 'Out of Range', text: 'x' });
    expect(
      unknownColumnOf('Referenced column "Region "Name"" not found in FROM clause!\nCandidate bindings: "x"'),
    ).toBe('Region "Name"');
    expect(unknownColumnOf('Values list "d" does not have a column named "regio"')).toBe('regio');
    expect(unknownColumnOf('Table with name nope does not exist!')).toBeUndefined();
  });
});
