import { isRedisOutOfMemory, isRedisUnavailable } from '@repo/queue';
import { isMissing, isUnavailable } from '@repo/storage';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, objectStoreUnavailable, redisOutOfMemory, redisUnavailable } from '../app-error';
import { JSON_SHAPE } from './json-body';

/** body-parser's error types, mapped to the contract's codes. */
function fromBodyParser(error: { type?: string; message: string }): AppError | null {
  switch (error.type) {
    case JSON_SHAPE:
      return new AppError('malformed_request', error.message);
    case 'entity.parse.failed':
      return new AppError('malformed_request', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError('payload_too_large', 'The request body is too large.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', 'Send the request body as UTF-8.');
    case 'request.aborted':
      return new AppError('malformed_request', 'The request was aborted by the client.');
    default:
      return null;
  }
}

/**
 * Errors that Express, the router and express.static raise with an HTTP status (a URL
 * that does not percent-decode is 400, a missing /docs asset 404): the client's fault,
 * never a 500. Their messages can hold server paths, so they are not repeated.
 */
function fromHttpError(error: { status?: unknown; statusCode?: unknown }): AppError | null {
  const status = typeof error.status === 'number' ? error.status : error.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  switch (status) {
    case 404:
    case 403:
      return new AppError('not_found', 'Nothing is served at this path.');
    case 413:
      return new AppError('payload_too_large', 'The request body is too large.');
    case 415:
      return new AppError('unsupported_media_type', 'The request body has a type this route does not take.');
    default:
      return new AppError(
        'malformed_request',
        'The request could not be read: check its URL, headers and body.',
      );
  }
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  const path = req.path.length > 200 ? `${req.path.slice(0, 200)}…` : req.path;
  next(new AppError('not_found', `No route ${req.method} ${path}.`));
};

function toAppError(error: unknown, logger: Logger, requestId: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isRedisOutOfMemory(error)) return redisOutOfMemory();
  if (isRedisUnavailable(error)) return redisUnavailable();
  if (isUnavailable(error)) return objectStoreUnavailable();
  // A record whose file is gone from the store (removed behind the service's back).
  if (isMissing(error))
    return new AppError('not_found', 'A stored file this request needs no longer exists.');
  // Express hands over whatever was thrown; body-parser and http-errors throw objects with these fields.
  const thrown = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as {
    type?: string;
    message: string;
    status?: unknown;
    statusCode?: unknown;
  };
  const appError =
    fromBodyParser(thrown) ??
    fromHttpError(thrown) ??
    new AppError('internal', 'Something went wrong on our side; the error was logged.');
  if (appError.code === 'internal') logger.error({ err: error, requestId }, 'unhandled error');
  return appError;
}

/** The envelope of last resort, should building the proper answer fail itself. */
const INTERNAL_BODY = JSON.stringify({
  error: {
    code: 'internal',
    message: 'Something went wrong on our side; the error was logged.',
    details: [],
  },
});

/**
 * The single place where anything thrown becomes the error envelope; never a stack trace —
 * not even when mapping the error fails (Express would then send its HTML page).
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    try {
      const appError = toAppError(error, logger, res.locals.requestId);
      if (res.headersSent) {
        res.end();
        return;
      }
      res.status(appError.status).set(appError.headers).json(appError.toJSON());
    } catch (failure) {
      logger.error({ err: failure, cause: error }, 'error handler failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.statusCode = 500;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(INTERNAL_BODY);
    }
  };
}
