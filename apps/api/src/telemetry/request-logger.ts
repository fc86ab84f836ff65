import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';

/**
 * One child logger per request carrying its request id (set by the requestId middleware),
 * so every line the request writes can be followed. Access lines are at debug level
 * (LOG_LEVEL=debug shows them); 4xx at warn and 5xx at error are always written. The base
 * logger redacts keys and credentials (see LOG_REDACT_PATHS).
 */
export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (_req: IncomingMessage, res: ServerResponse) => String(res.getHeader('X-Request-Id') ?? ''),
    // On every line the request writes, including those of handlers through req.log.
    customProps: (_req: IncomingMessage, res: ServerResponse) => ({
      requestId: res.getHeader('X-Request-Id'),
    }),
    customLogLevel: (_req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'debug';
    },
  });
}

/** Never in a log line: API keys, credentials, cookies. */
export const LOG_REDACT_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** The API's base logger: JSON lines, with keys and credentials redacted everywhere. */
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
