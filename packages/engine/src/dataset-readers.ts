import { open } from 'node:fs/promises';
import { type CsvHeader, readCsvHeader } from './csv-header';
import { EngineError } from './engine-error';
import type { DatasetFormat } from './engine-types';
import { quoteLiteral } from './sql-quote';

/** Enough of the file to hold its header row. */
const HEADER_BYTES = 64 * 1024;

/** The header row of a CSV upload; a file whose first line is empty has none. */
export async function csvHeaderOf(path: string): Promise<CsvHeader> {
  const handle = await open(path, 'r');
  let start: string;
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    start = buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
  const header = readCsvHeader(start);
  if (!header) {
    throw new EngineError(
      'invalid_dataset',
      'CSV line 1: the header row is empty; the first line must name the columns.',
    );
  }
  return header;
}

/**
 * CSV: header row, RFC 4180 quoting (`"` quotes, `""` inside), the delimiter taken from the
 * header (see csv-header.ts), empty fields as NULL. `sample_size=-1` makes DuckDB infer types
 * from every row, not the first 20,480: a text value late in an "integer" column then widens
 * the column to VARCHAR instead of failing the upload after minutes. It costs a second pass
 * (2M rows, 72 MB: 1.1 s against 0.4 s on 2 cores), which is cheap next to the upload itself.
 */
function csvReader(path: string, header: CsvHeader, maxLineBytes: number | undefined): string {
  const dialect = `delim = ${quoteLiteral(header.delimiter)}, quote = '"', escape = '"'`;
  const lines = maxLineBytes === undefined ? '' : `, max_line_size = ${lineBytes(maxLineBytes)}`;
  return `read_csv(${quoteLiteral(path)}, header = true, ${dialect}, sample_size = -1${lines})`;
}

/** A byte count pasted into SQL: a whole number, checked here rather than trusted. */
function lineBytes(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new EngineError('internal', 'maxLineBytes must be a positive integer.');
  return value;
}

/**
 * When DuckDB's sniffer gives up on an inconsistent file it says only "could not detect the
 * dialect". Reading it again with the dialect fixed and no sniffing names the first bad line.
 */
export function csvDiagnosticReader(path: string, header: CsvHeader): string {
  const columns = Array.from({ length: header.columnCount }, (_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  const dialect = `delim = ${quoteLiteral(header.delimiter)}, quote = '"', escape = '"'`;
  return `read_csv(${quoteLiteral(path)}, header = true, auto_detect = false, ${dialect}, columns = {${columns}})`;
}

/**
 * The table function reading an upload of `format`. JSON: every record must be an object;
 * `sample_size=-1` makes the schema the union of every record's keys, not the first 20,480's.
 */
export async function datasetReader(
  format: DatasetFormat,
  path: string,
  maxLineBytes?: number,
): Promise<string> {
  const source = quoteLiteral(path);
  // DuckDB's own cap on one record, matched to the upload guard's (whose limit is the line).
  const objects = maxLineBytes === undefined ? '' : `, maximum_object_size = ${lineBytes(maxLineBytes)}`;
  switch (format) {
    case 'csv':
      return csvReader(path, await csvHeaderOf(path), maxLineBytes);
    case 'ndjson':
      return `read_json(${source}, format = 'newline_delimited', records = true, sample_size = -1${objects})`;
    case 'json':
      return `read_json(${source}, format = 'array', records = true, sample_size = -1${objects})`;
    case 'parquet':
      return `read_parquet(${source})`;
  }
}
