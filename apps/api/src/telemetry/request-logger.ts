import type { RequestHandler } from 'express';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * One line per answered request, carrying its request id (set by the requestId middleware):
 * 5xx at error and 4xx at warn, always; other answers at debug (LOG_LEVEL=debug shows them).
 * It builds nothing per request unless a line will be written — status polls are the hot
 * path, and a child logger per request cost them about a tenth of the API's CPU.
 */
export function requestLogger(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const status = res.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          requestId: res.getHeader('X-Request-Id'),
          req: { method: req.method, url: req.originalUrl },
          res: { statusCode: status },
          responseTime: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request completed',
      );
    });
    next();
  };
}

/** Never in a log line: API keys, credentials, cookies. */
export const LOG_REDACT_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
];

/**
 * The API's base logger, with keys and credentials redacted everywhere: JSON lines on
 * stdout, or on `destination` (main.ts passes @repo/config's logDestination, pino-pretty's
 * readable lines when stdout is a terminal; redaction happens before either).
 */
export function createApiLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'api', pid: process.pid },
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}
