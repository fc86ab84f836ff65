import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
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
    const source = await datasetReader(options.format, options.sourcePath);
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
