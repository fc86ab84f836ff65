import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import { AppError } from '../../app-error';

const tooLarge = (maxBytes: number) =>
  new AppError(
    'payload_too_large',
    `The upload is larger than the ${maxBytes}-byte limit (MAX_UPLOAD_BYTES).`,
  );

/**
 * Streams the request body to `path` without holding it in memory, stopping at
 * `maxBytes`. Resolves with the byte count; the caller removes the file on failure.
 */
export async function receiveUpload(req: Request, path: string, maxBytes: number): Promise<number> {
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(received > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
  try {
    await pipeline(req, counter, createWriteStream(path, { flags: 'wx' }));
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('malformed_request', 'The upload was interrupted before its end.');
  }
  return received;
}
