import type { JsonValue } from '@repo/contracts';
import { stringify } from 'csv-stringify/sync';
import type { Response } from 'express';

export type ResultsFormat = 'csv' | 'ndjson';
export type RowChunks = AsyncIterable<{ columns: string[]; rows: JsonValue[][] }>;

export const RESULTS_CONTENT_TYPES: Record<ResultsFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** RFC 4180 (quotes doubled, fields with , " or newlines quoted, CRLF); nested values as JSON. */
function csvLines(rows: JsonValue[][]): string {
  return stringify(rows, {
    record_delimiter: 'windows',
    cast: { boolean: (v) => String(v), object: (v) => JSON.stringify(v) },
  });
}

function ndjsonLines(columns: string[], rows: JsonValue[][]): string {
  return rows
    .map((row) => `${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null])))}\n`)
    .join('');
}

/** Waits for the socket to take more, or to go away; leaves no listener behind. */
function drainedOrClosed(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes the whole result, chunk by chunk, waiting for the socket to drain so memory
 * stays bounded whatever the size; stops reading (releasing the engine's connection)
 * when the client goes away.
 */
export async function streamResults(
  res: Response,
  format: ResultsFormat,
  columns: string[],
  chunks: RowChunks,
): Promise<void> {
  res.status(200).type(RESULTS_CONTENT_TYPES[format]);
  if (format === 'csv') res.write(csvLines([columns]));
  for await (const chunk of chunks) {
    if (res.destroyed) break;
    const text = format === 'csv' ? csvLines(chunk.rows) : ndjsonLines(columns, chunk.rows);
    if (!res.write(text)) await drainedOrClosed(res);
  }
  res.end();
}
