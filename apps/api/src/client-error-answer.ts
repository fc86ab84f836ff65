import { randomUUID } from 'node:crypto';
import { type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError } from './app-error';

/** Node's own bare answers, kept for what Node could not parse (a listener replaces them all). */
function bareAnswer(code: string | undefined): string {
  const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? 413 : 400;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`;
}

/** 408 in the error envelope, with the request's id if Express had already given it one. */
function timeoutAnswer(requestId: string): string {
  const error = new AppError(
    'request_timeout',
    'The request took too long to arrive (HTTP_HEADERS_TIMEOUT_MS for its headers, HTTP_REQUEST_TIMEOUT_MS for all of it); the connection is closed.',
  );
  const body = JSON.stringify(error.toJSON());
  return [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Answers what Node refuses before Express sees a response through: a request whose headers
 * or body arrive too slowly gets 408 in the error envelope like every other error (Node's
 * default is a bare status line); the rest keep Node's own answers. As Node does, nothing
 * is written once a response has begun, and the connection is then closed.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // Node's own check before it answers; `_httpMessage` is the response in flight, if any.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const id = inFlight?.getHeader('X-Request-Id');
      socket.write(
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? timeoutAnswer(typeof id === 'string' ? id : randomUUID())
          : bareAnswer(error.code),
      );
    }
    socket.destroy(error);
  });
}
