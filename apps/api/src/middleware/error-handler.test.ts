import type { Request, Response } from 'express';
import pino from 'pino';
import { AppError } from '../app-error';
import { errorHandler } from './error-handler';

/** A response that records what is sent; `status` can be made to throw. */
function fakeResponse(statusThrows = false) {
  const sent: { status?: number; body?: string; headers: Record<string, unknown> } = { headers: {} };
  const res = {
    locals: { requestId: 'r1' },
    headersSent: false,
    statusCode: 200,
    status(code: number) {
      if (statusThrows) throw new Error('broken response');
      sent.status = code;
      return res;
    },
    set(headers: Record<string, string>) {
      Object.assign(sent.headers, headers);
      return res;
    },
    json(body: unknown) {
      sent.body = JSON.stringify(body);
      return res;
    },
    setHeader(name: string, value: unknown) {
      sent.headers[name] = value;
    },
    end(body?: string) {
      sent.status ??= res.statusCode;
      if (body) sent.body = body;
    },
    destroy() {},
  };
  return { res: res as unknown as Response, sent };
}

describe('errorHandler', () => {
  const handle = errorHandler(pino({ level: 'silent' }));

  it('answers an AppError with its envelope and status', () => {
    const { res, sent } = fakeResponse();
    handle(new AppError('not_found', 'No such job.'), {} as Request, res, () => undefined);
    expect(sent.status).toBe(404);
    expect(JSON.parse(sent.body ?? '')).toEqual({
      error: { code: 'not_found', message: 'No such job.', details: [] },
    });
  });

  it('hides anything unexpected behind the internal envelope, without a stack trace', () => {
    const { res, sent } = fakeResponse();
    handle(new Error('secret /srv/path exploded'), {} as Request, res, () => undefined);
    expect(sent.status).toBe(500);
    expect(sent.body).not.toContain('/srv/path');
    expect(JSON.parse(sent.body ?? '').error.code).toBe('internal');
  });

  it('still answers the JSON envelope when building the answer fails', () => {
    const { res, sent } = fakeResponse(true);
    handle(new AppError('not_found', 'No such job.'), {} as Request, res, () => undefined);
    expect(sent.status).toBe(500);
    expect(JSON.parse(sent.body ?? '').error.code).toBe('internal');
    expect(sent.headers['Content-Type']).toMatch(/^application\/json/);
  });
});
