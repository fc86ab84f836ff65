import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DatasetFormat } from '@repo/contracts';
import type { Request } from 'express';
import { AppError } from '../../app-error';
import { uploadShapeGuard } from './upload-shape-guard';

/** The limits one upload is received under. */
export interface ReceiveLimits {
  /** MAX_UPLOAD_BYTES. */
  maxBytes: number;
  format: DatasetFormat;
  /** UPLOAD_MAX_DEPTH. */
  maxDepth: number;
  /** UPLOAD_MAX_LINE_BYTES. */
  maxLineBytes: number;
}

const tooLarge = (maxBytes: number) =>
  new AppError(
    'payload_too_large',
    `The upload is larger than the ${maxBytes}-byte limit (MAX_UPLOAD_BYTES).`,
  );

/**
 * Streams the request body to `path` without holding it in memory, stopping at
 * `maxBytes` or at the first byte that breaks the format's shape limits (see
 * upload-shape-guard.ts). Resolves with the byte count; the caller removes the file on
 * failure.
 */
export async function receiveUpload(req: Request, path: string, limits: ReceiveLimits): Promise<number> {
  const { maxBytes, format } = limits;
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const guard = uploadShapeGuard(format, limits);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback(received > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
  const file = createWriteStream(path, { flags: 'wx' });
  try {
    if (guard) await pipeline(req, counter, guard, file);
    else await pipeline(req, counter, file);
  } catch (error) {
    if (!(error instanceof AppError)) {
      throw new AppError('malformed_request', 'The upload was interrupted before its end.');
    }
    // Refused mid-body: pipeline stopped reading (Node detaches the socket before it
    // destroys a server request, so the answer still goes out). The rest of the body is
    // never read, so the connection cannot carry another request: close it after the answer.
    if (!req.complete && req.res && !req.res.headersSent) req.res.setHeader('Connection', 'close');
    throw error;
  }
  return received;
}
