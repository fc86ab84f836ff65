import { createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Config, loadConfig } from '@repo/config';
import { DATASET_CONTENT_TYPES, type DatasetFormat } from '@repo/contracts';
import type { Request } from 'express';
import { AppError } from '../../app-error';
import { uploadShapeGuard } from './upload-shape-guard';

/** The limits one upload is received under. */
export interface ReceiveLimits {
  /** MAX_UPLOAD_BYTES. */
  maxBytes: number;
  /** The upload's format; by default the one its Content-Type names. */
  format?: DatasetFormat;
  /** UPLOAD_MAX_DEPTH; by default the configuration's default. */
  maxDepth?: number;
  /** UPLOAD_MAX_LINE_BYTES; by default the configuration's default. */
  maxLineBytes?: number;
}

let defaults: Config | undefined;
/**
 * The configuration's defaults, for a caller that passes only `maxBytes` (the router
 * did before the shape limits existed): the guard then runs at the default limits
 * rather than not at all.
 */
function configDefaults(): Config {
  defaults ??= loadConfig({});
  return defaults;
}

function formatOf(req: Request): DatasetFormat | undefined {
  const type = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return (DATASET_CONTENT_TYPES as Record<string, DatasetFormat>)[type];
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
export async function receiveUpload(
  req: Request,
  path: string,
  limits: number | ReceiveLimits,
): Promise<number> {
  const given: ReceiveLimits = typeof limits === 'number' ? { maxBytes: limits } : limits;
  const { maxBytes } = given;
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const format = given.format ?? formatOf(req);
  const guard = format
    ? uploadShapeGuard(format, {
        maxDepth: given.maxDepth ?? configDefaults().UPLOAD_MAX_DEPTH,
        maxLineBytes: given.maxLineBytes ?? configDefaults().UPLOAD_MAX_LINE_BYTES,
      })
    : null;
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
