import { PassThrough, type Readable } from 'node:stream';

/** Throws RangeError for a range no caller should ask for (a bug, not a storage failure). */
export function checkRange(start: number, end: number | undefined): void {
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError('start must be a whole number >= 0');
  if (end === undefined) return;
  if (!Number.isSafeInteger(end) || end < start) throw new RangeError('end must be a whole number >= start');
}

/** The part of start..end (inclusive) inside an object of `size` bytes, or null when none is. */
export function clampRange(
  size: number,
  start: number,
  end: number | undefined,
): { start: number; end: number } | null {
  const last = Math.min(end ?? size - 1, size - 1);
  return start > last ? null : { start, end: last };
}

export function emptyStream(): Readable {
  const stream = new PassThrough();
  stream.end();
  return stream;
}

/**
 * Re-emits `source` with its errors mapped (to StorageError, or the abort reason); destroying
 * the result destroys the source, so a consumer that stops early frees the file or socket.
 */
export function withMappedErrors(source: Readable, map: (error: unknown) => unknown): Readable {
  const out = new PassThrough();
  source.on('error', (error) => out.destroy(map(error) as Error));
  out.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}
