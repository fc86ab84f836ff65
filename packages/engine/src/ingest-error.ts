import { asSentence, parseDuckDBError, scrubPaths, toEngineError } from './duckdb-error';
import { EngineError } from './engine-error';

import type { DatasetFormat } from './engine-types';

/** DuckDB error types that mean "this file is not what it claims to be". */
const BAD_FILE_TYPES = new Set([
  'Invalid Input',
  'Conversion',
  'Binder',
  'Invalid',
  'Parser',
  'Out of Range',
]);

/** Drops `in file "/x/y"` and turns `file '/x/y'` into `file`: the client never sees our paths. */
export function stripFilePaths(text: string): string {
  return text.replace(/,?\s+in file (["'])[^"'\n]*\1/g, '').replace(/\bfile (["'])\/[^"'\n]*\1/g, 'file');
}

function csvDetail(text: string): string {
  const columns = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(text);
  if (columns) return `expected ${columns[1]} columns, found ${columns[2]}`;
  if (/unterminated quote/i.test(text)) return 'a quoted value is never closed (unterminated quote)';
  if (/Invalid unicode/i.test(text)) return 'the text is not valid UTF-8; save the file as UTF-8';
  const conversion = /Could not convert string "((?:[^"]|"")*)" to '([^']+)'/.exec(text);
  if (conversion) return `could not convert "${conversion[1]}" to ${conversion[2]}`;
  const lineSize = /Maximum line size of (\d+) bytes exceeded/.exec(text);
  if (lineSize) return `a line is longer than ${lineSize[1]} bytes`;
  // Otherwise the first line that is not DuckDB's framing ("CSV Error on Line", the echoed row).
  const useful = text
    .split('\n')
    .map((line) => line.trim())
    .find(
      (line) => line !== '' && !/^(CSV Error on Line|Original Line|Error when converting column)/.test(line),
    );
  return useful ?? 'the file could not be parsed';
}

function csvMessage(text: string): string {
  if (/Error when sniffing file/.test(text)) {
    return 'CSV: the rows do not have a consistent number of columns or consistent quoting.';
  }
  const line = /CSV Error on Line: (\d+)/.exec(text)?.[1];
  const column = /Error when converting column "((?:[^"]|"")*)"/.exec(text)?.[1];
  const where = [line ? `line ${line}` : '', column ? `column "${column}"` : ''].filter(Boolean).join(', ');
  return asSentence(`CSV${where ? ` ${where}` : ''}: ${csvDetail(text)}`);
}

function jsonMessage(text: string, format: 'json' | 'ndjson'): string {
  const malformed = /Malformed JSON.*?at byte (\d+) in (line|record\/value) (\d+): ([^\n]*)/.exec(text);
  if (malformed) {
    const [, byte, unit, index, what] = malformed;
    const where = unit === 'line' ? `line ${index}` : `record ${index}`;
    const reason = (what ?? '').replace(/[.\s]+$/, '');
    return asSentence(
      `${format === 'ndjson' ? 'NDJSON' : 'JSON'} ${where}, byte ${byte}: malformed JSON (${reason})`,
    );
  }
  const topLevel = /Expected top-level JSON array.*?first character is '(.)'/.exec(text);
  if (topLevel) {
    return `JSON: expected one array of objects, but the file starts with '${topLevel[1]}'; send newline-delimited JSON as application/x-ndjson.`;
  }
  if (/expected records/.test(text)) {
    return format === 'ndjson'
      ? 'NDJSON: every line must be a JSON object.'
      : 'JSON: every element of the array must be an object.';
  }
  return asSentence(
    `${format === 'ndjson' ? 'NDJSON' : 'JSON'}: ${stripFilePaths(text.split('\n', 1)[0] ?? '')}`,
  );
}

function parquetMessage(text: string): string {
  const first = stripFilePaths(text.split('\n', 1)[0] ?? '');
  const reason = first.trim().replace(/[.!\s]+$/, '');
  return `The file is not a valid Parquet file (${reason.charAt(0).toLowerCase()}${reason.slice(1)}).`;
}

/**
 * Turns a failure while reading an upload into `invalid_dataset` with a sentence saying what
 * is wrong and where (line, column), keeping DuckDB's useful part and none of its internals.
 * Failures that are not about the file's content (I/O, memory) stay `internal`.
 */
export function toIngestError(error: unknown, format: DatasetFormat, dirs: readonly string[]): EngineError {
  if (error instanceof EngineError) return error;
  const { type, text } = parseDuckDBError(error);
  const aboutContent =
    (type !== null && BAD_FILE_TYPES.has(type)) ||
    (format === 'parquet' && type === 'IO' && /parquet|magic|footer|metadata/i.test(text));
  if (!aboutContent || /No files found/.test(text)) return toEngineError(error, dirs);
  const message =
    format === 'csv'
      ? csvMessage(text)
      : format === 'parquet'
        ? parquetMessage(text)
        : jsonMessage(text, format);
  return new EngineError('invalid_dataset', scrubPaths(message, dirs), { cause: error });
}
