import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { csvDiagnosticReader, csvHeaderOf, datasetReader } from './dataset-readers';
import { describeParquet } from './describe-parquet';
import { messageOf } from './duckdb-error';
import { EngineError } from './engine-error';
import type { IngestOptions, IngestResult } from './engine-types';
import { toIngestError } from './ingest-error';
import { quoteLiteral } from './sql-quote';

/**
 * DuckDB's errors that say little, made precise by a second look: a CSV its sniffer gave up
 * on is read again without sniffing to find the bad line; JSON "not records" may just be an
 * empty array (`[]`), which deserves "no data rows".
 */
async function diagnose(connection: DuckDBConnection, options: IngestOptions, error: unknown): Promise<void> {
  const message = messageOf(error);
  if (options.format === 'csv' && /Error when sniffing file/.test(message)) {
    const header = await csvHeaderOf(options.sourcePath);
    await connection.run(`SELECT count(*) FROM ${csvDiagnosticReader(options.sourcePath, header)}`);
  }
  if ((options.format === 'json' || options.format === 'ndjson') && /expected records/.test(message)) {
    const shape = options.format === 'json' ? 'array' : 'newline_delimited';
    const counted = await connection.runAndReadAll(
      `SELECT count(*) FROM read_json(${quoteLiteral(options.sourcePath)}, format = '${shape}', records = false)`,
    );
    if (Number(counted.getRows()[0]?.[0]) === 0) {
      throw new EngineError('invalid_dataset', 'The file has no data rows.');
    }
  }
}

/**
 * DuckDB reads a JSON array cut short at a record boundary (`[{"a":1},`) as if it were
 * whole, which would store part of an upload silently; a whole array ends with `]`.
 */
async function assertJsonArrayEnds(path: string, size: number): Promise<void> {
  const handle = await open(path, 'r');
  try {
    const length = Math.min(size, 4096);
    const head = (await handle.read(Buffer.alloc(length), 0, length, 0)).buffer.toString('latin1');
    const tail = (await handle.read(Buffer.alloc(length), 0, length, size - length)).buffer.toString(
      'latin1',
    );
    // Anything but an array is left to DuckDB, whose message says an array was expected.
    if (head.trimStart().startsWith('[') && !tail.trimEnd().endsWith(']')) {
      throw new EngineError(
        'invalid_dataset',
        'The JSON array is not closed: the file ends before its final "]".',
      );
    }
  } finally {
    await handle.close();
  }
}

/**
 * Converts an upload to Parquet at targetPath with DuckDB doing all the work (no row ever
 * enters JS). It writes a temporary file next to the target and renames it, so a failure
 * leaves nothing at targetPath and no temporary file behind.
 */
export async function ingestDataset(
  connection: DuckDBConnection,
  options: IngestOptions,
  dirs: readonly string[],
): Promise<IngestResult> {
  const tmpPath = `${options.targetPath}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const { size } = await stat(options.sourcePath);
    if (size === 0) throw new EngineError('invalid_dataset', 'The file is empty.');
    if (options.format === 'json') await assertJsonArrayEnds(options.sourcePath, size);
    const source = await datasetReader(options.format, options.sourcePath, options.maxLineBytes);
    try {
      await connection.run(`COPY (SELECT * FROM ${source}) TO ${quoteLiteral(tmpPath)} (FORMAT parquet)`);
    } catch (error) {
      await diagnose(connection, options, error);
      throw error;
    }
    const { rowCount, columns } = await describeParquet(connection, tmpPath);
    if (rowCount === 0) throw new EngineError('invalid_dataset', 'The file has no data rows.');
    const { size: sizeBytes } = await stat(tmpPath);
    await rename(tmpPath, options.targetPath);
    return { rowCount, columns, sizeBytes };
  } catch (error) {
    await rm(tmpPath, { force: true });
    throw toIngestError(error, options.format, dirs);
  }
}
