import { isRedisOutOfMemory, isRedisUnavailable } from '@repo/queue';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, redisOutOfMemory, redisUnavailable } from '../app-error';

/** body-parser's error types, mapped to the contract's codes. */
function fromBodyParser(error: { type?: string; message: string }): AppError | null {
  switch (error.type) {
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

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route ${req.method} ${req.path}.`));
};

/** The single place where anything thrown becomes the error envelope; never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    let appError: AppError;
    if (error instanceof AppError) appError = error;
    else if (isRedisOutOfMemory(error)) appError = redisOutOfMemory();
    else if (isRedisUnavailable(error)) appError = redisUnavailable();
    else {
      appError =
        fromBodyParser(error) ??
        new AppError('internal', 'Something went wrong on our side; the error was logged.');
      if (appError.code === 'internal') (req.log ?? logger).error({ err: error }, 'unhandled error');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(appError.status).set(appError.headers).json(appError.toJSON());
  };
}
