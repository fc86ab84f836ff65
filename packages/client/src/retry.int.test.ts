import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AnalyticsApiError, AnalyticsClient, type RetryInfo } from './index';

/**
 * The client's retries against a small HTTP server of our own on 127.0.0.1 that answers
 * what each test scripts: third-party-style HTTP, as a rate limiter or a proxy would.
 */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** `drop`: the connection is closed without an answer, as by an API process that died. */
type Answer = { status: number; headers?: Record<string, string>; body?: unknown } | 'drop';

const JOB = {
  job_id: 'job_a',
  query_id: 'qry_a',
  dataset_id: 'dset_a',
  status: 'queued',
  progress: 0,
  results: null,
  error: null,
  created_at: '2024-06-01T14:22:10Z',
  completed_at: null,
  error_code: null,
  execution_mode: 'async',
  started_at: null,
  attempts: 0,
  priority: 'interactive',
  expires_at: null,
};
const RATE_LIMITED = { error: { code: 'rate_limited', message: 'Slow down.', details: [] } };
const UNAVAILABLE = { error: { code: 'service_unavailable', message: 'Redis is away.', details: [] } };

describe('retries of 429 and 503', () => {
  let server: Server;
  let seen: Seen[];
  let script: Answer[];
  let baseUrl: string;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const scripted = script.length > 1 ? script.shift() : script[0];
        if (scripted === 'drop') {
          req.socket.destroy();
          return;
        }
        const answer = scripted;
        const payload =
          answer?.body === undefined
            ? ''
            : typeof answer.body === 'string'
              ? answer.body
              : JSON.stringify(answer.body);
        res.writeHead(answer?.status ?? 500, {
          'Content-Type': typeof answer?.body === 'string' ? 'text/html' : 'application/json',
          'X-Request-Id': `req-${seen.length}`,
          ...answer?.headers,
        });
        res.end(payload);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    seen = [];
    script = [];
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function client(options: { maxRetries?: number; maxRetryDelayMs?: number } = {}) {
    const retries: RetryInfo[] = [];
    const sdk = new AnalyticsClient({
      baseUrl,
      apiKey: 'key-0123456789abcdef',
      onRetry: (r) => retries.push(r),
      ...options,
    });
    return { sdk, retries };
  }

  async function rejection(promise: Promise<unknown>): Promise<AnalyticsApiError> {
    const error = await promise.then(
      () => new Error('expected a rejection'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AnalyticsApiError);
    return error as AnalyticsApiError;
  }

  it('waits the Retry-After of a 429, then answers with the retried GET', async () => {
    script = [
      { status: 429, headers: { 'Retry-After': '1' }, body: RATE_LIMITED },
      { status: 200, body: JOB },
    ];
    const { sdk, retries } = client();
    expect(await sdk.jobs.get('job_a')).toEqual(JOB);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /v1/jobs/job_a', 'GET /v1/jobs/job_a']);
    expect(seen.every((s) => s.headers['x-api-key'] === 'key-0123456789abcdef')).toBe(true);
    expect(retries).toEqual([
      { method: 'GET', path: '/v1/jobs/job_a', status: 429, retry: 1, delayMs: 1000, requestId: 'req-1' },
    ]);
  });

  it('repeats a run that carries an Idempotency-Key, with the same key and body', async () => {
    script = [
      { status: 503, headers: { 'Retry-After': '0' }, body: UNAVAILABLE },
      { status: 202, body: { ...JOB, execution_mode: 'async', job_id: 'job_a' } },
    ];
    const { sdk, retries } = client();
    const run = await sdk.queries.run('qry_a', {
      mode: 'async',
      parameters: { month: '2024-05' },
      idempotencyKey: 'nightly-2024-05',
    });
    expect(run.job_id).toBe('job_a');
    expect(seen).toHaveLength(2);
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['nightly-2024-05', 'nightly-2024-05']);
    expect(seen[1]?.body).toBe(seen[0]?.body);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({
      parameters: { month: '2024-05' },
      execution_mode: 'async',
    });
    expect(retries.map((r) => [r.status, r.delayMs])).toEqual([[503, 0]]);
  });

  it('never repeats a POST without an Idempotency-Key, nor an upload', async () => {
    script = [
      { status: 429, headers: { 'Retry-After': '0' }, body: RATE_LIMITED },
      { status: 201, body: {} },
    ];
    const { sdk, retries } = client();
    const save = await rejection(sdk.queries.save({ name: 'q', query: 'SELECT 1' }));
    expect(save).toMatchObject({
      code: 'rate_limited',
      status: 429,
      requestId: 'req-1',
      message: 'Slow down.',
    });
    expect(seen).toHaveLength(1);

    seen = [];
    script = [
      { status: 503, headers: { 'Retry-After': '0' }, body: UNAVAILABLE },
      { status: 201, body: {} },
    ];
    async function* rows() {
      yield 'a\n';
      yield '1\n';
    }
    const upload = await rejection(sdk.datasets.upload(rows(), { name: 'd', contentType: 'text/csv' }));
    expect(upload).toMatchObject({ code: 'service_unavailable', status: 503 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.body).toBe('a\n1\n');
    expect(seen[0]?.headers['content-type']).toBe('text/csv');
    expect(retries).toEqual([]);
  });

  it('gives up after maxRetries, and on a Retry-After longer than maxRetryDelayMs', async () => {
    script = [{ status: 429, headers: { 'Retry-After': '0' }, body: RATE_LIMITED }];
    const bounded = client({ maxRetries: 2 });
    expect(await rejection(bounded.sdk.datasets.list())).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(seen).toHaveLength(3);
    expect(bounded.retries.map((r) => r.retry)).toEqual([1, 2]);

    seen = [];
    script = [{ status: 503, headers: { 'Retry-After': '120' }, body: UNAVAILABLE }];
    const patient = client({ maxRetryDelayMs: 60_000 });
    expect(await rejection(patient.sdk.datasets.list())).toMatchObject({ code: 'service_unavailable' });
    expect(seen).toHaveLength(1);
    expect(patient.retries).toEqual([]);
  });

  it('sends a keyed run again when its connection dropped unanswered, but never an unkeyed one', async () => {
    script = ['drop', { status: 202, body: { ...JOB, execution_mode: 'async', job_id: 'job_a' } }];
    const { sdk, retries } = client();
    const run = await sdk.queries.run('qry_a', { mode: 'async', idempotencyKey: 'nightly-2024-06' });
    expect(run.job_id).toBe('job_a');
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['nightly-2024-06', 'nightly-2024-06']);
    expect(seen[1]?.body).toBe(seen[0]?.body);
    expect(retries).toEqual([
      { method: 'POST', path: '/v1/query/qry_a', status: null, retry: 1, delayMs: 500, requestId: null },
    ]);

    seen = [];
    script = ['drop', { status: 202, body: JOB }];
    const unkeyed = client();
    expect(await rejection(unkeyed.sdk.queries.run('qry_a', { mode: 'async' }))).toMatchObject({
      code: 'unreachable',
    });
    expect(seen).toHaveLength(1);
    expect(unkeyed.retries).toEqual([]);
  });

  it('backs off by itself when there is no Retry-After', async () => {
    script = [
      { status: 503, body: UNAVAILABLE },
      { status: 503, body: UNAVAILABLE },
      { status: 200, body: { data: [], next_cursor: null } },
    ];
    const { sdk, retries } = client();
    expect(await sdk.queries.list()).toEqual({ data: [], next_cursor: null });
    expect(retries.map((r) => r.delayMs)).toEqual([500, 1000]);
  });

  it('stops a retry wait when the caller aborts', async () => {
    script = [{ status: 429, headers: { 'Retry-After': '30' }, body: RATE_LIMITED }];
    const controller = new AbortController();
    const { sdk } = client({ maxRetryDelayMs: 60_000 });
    const pending = sdk.jobs.get('job_a', { signal: controller.signal });
    await new Promise<void>((resolve) => {
      const check = () => (seen.length > 0 ? resolve() : setTimeout(check, 10));
      check();
    });
    controller.abort();
    expect(await rejection(pending)).toMatchObject({ code: 'aborted', status: null });
    expect(seen).toHaveLength(1);
  });

  it('reads an answer without the envelope as invalid_response', async () => {
    script = [{ status: 502, body: '<html>Bad Gateway</html>' }];
    const { sdk } = client();
    const error = await rejection(sdk.jobs.get('job_a'));
    expect(error).toMatchObject({ code: 'invalid_response', status: 502, requestId: 'req-1' });
    expect(error.message).toContain('Bad Gateway');
  });
});
