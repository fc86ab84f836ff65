import { isRedisOutOfMemory, isRedisUnavailable } from '@repo/queue';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, redisOutOfMemory, redisUnavailable } from '../app-error';
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

/** The single place where anything thrown becomes the error envelope; never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    let appError: AppError;
    if (error instanceof AppError) appError = error;
    else if (isRedisOutOfMemory(error)) appError = redisOutOfMemory();
    else if (isRedisUnavailable(error)) appError = redisUnavailable();
    else {
      const thrown = typeof error === 'object' && error !== null ? error : { message: String(error) };
      appError =
        fromBodyParser(thrown) ??
        fromHttpError(thrown) ??
        new AppError('internal', 'Something went wrong on our side; the error was logged.');
      if (appError.code === 'internal')
        logger.error({ err: error, requestId: res.locals.requestId }, 'unhandled error');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(appError.status).set(appError.headers).json(appError.toJSON());
  };
}
