import { createServer, type Server } from 'node:http';
import type { Config } from '@repo/config';
import type { Express } from 'express';
import { answerClientErrors } from './client-error-answer';

/**
 * The API's HTTP server, hardened against slow clients: the header block must arrive within
 * HTTP_HEADERS_TIMEOUT_MS and the whole request (body included) within
 * HTTP_REQUEST_TIMEOUT_MS, else it answers 408 in the error envelope and closes the
 * connection. Node checks these every `connectionsCheckingInterval` (30 s by default), so
 * it is checked every second here. No idle-socket timeout: sync runs and SSE streams
 * legitimately stay quiet.
 */
export function createHttpServer(
  app: Express,
  config: Pick<Config, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS'>,
): Server {
  const server = createServer(
    {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1_000, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 2)),
    },
    app,
  );
  answerClientErrors(server);
  return server;
}
