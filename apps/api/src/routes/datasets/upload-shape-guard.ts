import { Transform } from 'node:stream';
import type { DatasetFormat } from '@repo/contracts';
import { AppError } from '../../app-error';

/** The shape limits an upload must keep (UPLOAD_MAX_DEPTH, UPLOAD_MAX_LINE_BYTES). */
export interface UploadShapeLimits {
  maxDepth: number;
  maxLineBytes: number;
}

/** The formats whose bytes are scanned; Parquet is binary and passes untouched. */
export type ScannedFormat = Exclude<DatasetFormat, 'parquet'>;

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/** What a byte means to the JSON scanner, outside a string and inside one; 0 = nothing. */
const OPEN = 1;
const CLOSE = 2;
const STRING = 3;
const SEPARATOR = 4;
const LINE = 5;
const ESCAPE = 6;
const OUTSIDE = new Uint8Array(256);
OUTSIDE[0x5b] = OPEN; // [
OUTSIDE[0x7b] = OPEN; // {
OUTSIDE[0x5d] = CLOSE; // ]
OUTSIDE[0x7d] = CLOSE; // }
OUTSIDE[QUOTE] = STRING;
OUTSIDE[COMMA] = SEPARATOR;
OUTSIDE[NEWLINE] = LINE;
const OUTSIDE_NDJSON = OUTSIDE.slice();
OUTSIDE_NDJSON[COMMA] = 0;
const INSIDE = new Uint8Array(256);
INSIDE[QUOTE] = STRING;
INSIDE[BACKSLASH] = ESCAPE;
INSIDE[NEWLINE] = LINE;

const NAMES: Record<ScannedFormat, string> = { csv: 'CSV', ndjson: 'NDJSON', json: 'JSON' };

/**
 * Reads an upload's bytes as they arrive and says when one breaks a shape limit, before
 * DuckDB ever opens the file. DuckDB 1.5.6 fails badly on deep nesting: a JSON array
 * nested 100,000 deep crashes the converter (SIGSEGV); 3,000 nested objects on one NDJSON
 * line take over 50 s and 2.5 GB to read; values nested 128+ arrays or 255+ objects deep
 * are stored as Parquet that DuckDB then cannot read (an INTERNAL error that invalidates
 * the whole database instance); and reading nested arrays back from Parquet grows about
 * twofold with each level of arrays past 16 (24 levels: ~6 s per row group, 32: over a
 * minute), while nested objects stay cheap.
 *
 * It is a byte-level state machine: linear time, constant memory, and a chunk may end
 * anywhere (inside a string, after a backslash, inside a multi-byte character) because
 * the whole state lives in a few fields. UTF-8 needs no decoding: every byte of a
 * multi-byte character is 0x80 or above, so none is ever taken for `"`, `\`, a bracket
 * or a newline.
 *
 * Depth (JSON, NDJSON): every `[` and `{` outside a string is a level. It is counted
 * within a record: a JSON upload's enclosing array is not a level, so the same records
 * pass or fail alike as JSON and as NDJSON (`{"a":[1]}` is 2 levels in both). Strings
 * follow JSON's rules exactly (`\` escapes the next byte; `\uXXXX` needs nothing more as
 * hex digits are not special), so brackets inside strings never count. NDJSON starts
 * afresh on every line, as DuckDB parses each line as a document of its own: otherwise
 * a line with an unterminated string would make the scanner read the next line's
 * brackets as text, while DuckDB parses them.
 *
 * Line length (NDJSON, CSV): the bytes between two `\n`s (a `\r` before `\n` counts).
 * For CSV this is the physical line, quotes or not. Counting per CSV record would need
 * the dialect: DuckDB honours a `"` only at the start of a field (`5" screen` is a plain
 * value), so toggling on every quote would misread ordinary data and refuse it. A
 * quoted field spanning several lines is thus bounded line by line, and DuckDB's own
 * line-size limit still applies to the record as a whole. JSON has no line limit:
 * pretty-printed or not, its length is bounded by MAX_UPLOAD_BYTES.
 */
export class UploadShapeScanner {
  private readonly name: string;
  private readonly json: boolean;
  /** NDJSON and CSV: one record a line, so lines are bounded and NDJSON restarts at each. */
  private readonly perLine: boolean;
  /** The deepest raw bracket depth allowed (one more for JSON's enclosing array). */
  private readonly depthLimit: number;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private lineBytes = 0;
  /** JSON: records seen so far, counted by the commas of the enclosing array. */
  private record = 1;
  private refusal: string | null = null;

  constructor(
    private readonly format: ScannedFormat,
    private readonly limits: UploadShapeLimits,
  ) {
    this.name = NAMES[format];
    this.json = format !== 'csv';
    this.perLine = format !== 'json';
    this.depthLimit = format === 'json' ? limits.maxDepth + 1 : limits.maxDepth;
  }

  /**
   * Scans the next chunk. Returns the sentence refusing the upload, or null while it is
   * within its limits; once refused, it stays refused.
   */
  push(chunk: Uint8Array): string | null {
    if (this.refusal) return this.refusal;
    if (this.json) this.scanJson(chunk);
    else this.scanLines(chunk);
    return this.refusal;
  }

  /** CSV needs only the newlines: found with indexOf (memchr), not byte by byte. */
  private scanLines(chunk: Uint8Array): void {
    const max = this.limits.maxLineBytes;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      this.lineBytes += end - start;
      if (this.lineBytes > max) {
        this.refuseLongLine();
        return;
      }
      if (newline === -1) return;
      this.line += 1;
      this.lineBytes = 0;
      start = newline + 1;
    }
  }

  private scanJson(chunk: Uint8Array): void {
    // Locals in the loops, fields after them: these loops are the whole cost of the guard.
    let { depth, inString, escaped, line, record } = this;
    const { depthLimit, perLine } = this;
    // NDJSON has no enclosing array, so its commas need no stop.
    const outside = perLine ? OUTSIDE_NDJSON : OUTSIDE;
    const maxLineBytes = perLine ? this.limits.maxLineBytes : Number.POSITIVE_INFINITY;
    // JSON: a comma directly inside the enclosing array separates two records.
    const recordDepth = perLine ? -1 : 1;
    // The current line began `carried` bytes before this chunk, or at chunk[lineStart].
    let carried = this.lineBytes;
    let lineStart = 0;
    let refusal: 'deep' | 'long' | null = null;
    const length = chunk.length;
    let i = 0;
    while (i < length) {
      let kind: number;
      if (inString) {
        // Most bytes of a record are text: skip to the next one that matters in a string.
        if (escaped) {
          escaped = false;
          // An escaped newline is still a newline (and invalid JSON): let it end the line.
          if (chunk[i] !== NEWLINE) i += 1;
          continue;
        }
        kind = 0;
        while (i < length) {
          kind = INSIDE[chunk[i] as number] as number;
          if (kind !== 0) break;
          i += 1;
        }
        if (i === length) break;
        if (kind === STRING) inString = false;
        else if (kind === ESCAPE) escaped = true;
      } else {
        kind = 0;
        while (i < length) {
          kind = outside[chunk[i] as number] as number;
          if (kind !== 0) break;
          i += 1;
        }
        if (i === length) break;
        if (kind === OPEN) {
          depth += 1;
          if (depth > depthLimit) {
            refusal = 'deep';
            break;
          }
        } else if (kind === CLOSE) {
          // A stray closer is DuckDB's to refuse; going below 0 would only hide later levels.
          if (depth > 0) depth -= 1;
        } else if (kind === STRING) inString = true;
        else if (kind === SEPARATOR) {
          if (depth === recordDepth) record += 1;
        }
      }
      if (kind === LINE) {
        if (perLine) {
          if (carried + (i - lineStart) > maxLineBytes) {
            refusal = 'long';
            break;
          }
          // DuckDB parses each NDJSON line on its own, even one with an unterminated string.
          depth = 0;
          inString = false;
          carried = 0;
          lineStart = i + 1;
        }
        line += 1;
      }
      i += 1;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.line = line;
    this.record = record;
    this.lineBytes = carried + (length - lineStart);
    if (refusal === 'deep') this.refuseDeep();
    else if (refusal === 'long' || this.lineBytes > maxLineBytes) this.refuseLongLine();
  }

  private refuseDeep(): void {
    const where = this.format === 'json' ? `record ${this.record} (line ${this.line})` : `line ${this.line}`;
    this.refusal = `${this.name} ${where}: nested deeper than ${this.limits.maxDepth} levels (UPLOAD_MAX_DEPTH).`;
  }

  private refuseLongLine(): void {
    this.refusal = `${this.name} line ${this.line} is longer than ${this.limits.maxLineBytes} bytes (UPLOAD_MAX_LINE_BYTES).`;
  }
}

/**
 * A Transform that passes an upload through unchanged while it keeps its shape limits,
 * and fails with `invalid_dataset` at the first byte that breaks one (the pipeline then
 * stops reading). Null for Parquet, which is not scanned.
 */
export function uploadShapeGuard(format: DatasetFormat, limits: UploadShapeLimits): Transform | null {
  if (format === 'parquet') return null;
  const scanner = new UploadShapeScanner(format, limits);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const refusal = scanner.push(chunk);
      if (refusal) callback(new AppError('invalid_dataset', refusal));
      else callback(null, chunk);
    },
  });
}
