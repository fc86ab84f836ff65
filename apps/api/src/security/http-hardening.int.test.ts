import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { loadConfig } from '@repo/config';
import { ZErrorEnvelope } from '@repo/contracts';
import { createHttpServer } from '../http-server';
import { createTestApi, type TestApi } from '../testing/test-api';
import { expectError, leaks } from './security-fixtures';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api?.close());

describe('headers on every answer', () => {
  it.each([
    ['/healthz', 200],
    ['/v1/datasets', 200],
    ['/v1/datasets/dset_unknown', 404],
    ['/v1/nowhere', 404],
  ])('%s: helmet, no x-powered-by, no-store', async (path, status) => {
    const res = await api.as().get(path).expect(status);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(res.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
  });

  it('on a 401 too', async () => {
    const res = await api.as().get('/v1/datasets').set('X-API-Key', 'nope-nope-nope-nope');
    expectError(res, 401, 'unauthorized', api.dataDir);
  });
});

describe('bodies', () => {
  it('refuses a saved query body over 512 kB and a run body over 1 MB with 413', async () => {
    const big = (n: number) => ({ name: 'x', query: `SELECT '${'x'.repeat(n)}' FROM dataset` });
    expectError(await api.as().post('/v1/save').send(big(600_000)), 413, 'payload_too_large', api.dataDir);
    expectError(await api.as().post('/v1/queries').send(big(600_000)), 413, 'payload_too_large', api.dataDir);
    const run = { parameters: { list: Array.from({ length: 10_000 }, () => 'y'.repeat(110)) } };
    const res = await api.as().post('/v1/query/qry_whatever').send(run);
    expectError(res, 413, 'payload_too_large', api.dataDir);
  });

  it('refuses bodies that are not JSON on JSON routes with 415', async () => {
    for (const [type, body] of [
      ['text/plain', '{"name":"x","query":"SELECT 1"}'],
      ['application/x-www-form-urlencoded', 'name=x&query=SELECT+1'],
      ['application/json; charset=latin1', '{"name":"x","query":"SELECT 1"}'],
    ] as const) {
      const res = await api.as().post('/v1/save').set('Content-Type', type).send(body);
      expectError(res, 415, 'unsupported_media_type', api.dataDir);
    }
  });

  it('refuses duplicate keys and deep nesting with 400, leaving prototypes alone', async () => {
    const duplicate = await api
      .as()
      .post('/v1/save')
      .set('Content-Type', 'application/json')
      .send('{"name":"a","query":"SELECT 1","name":"b"}');
    expectError(duplicate, 400, 'malformed_request', api.dataDir);
    expect(duplicate.body.error.message).toMatch(/"name" appears twice/);
    const escaped = await api
      .as()
      .post('/v1/save')
      .set('Content-Type', 'application/json')
      .send('{"name":"a","query":"SELECT 1","na\\u006de":"b"}');
    expectError(escaped, 400, 'malformed_request', api.dataDir);
    const deep = `{"parameters":{"x":${'['.repeat(40)}${']'.repeat(40)}}}`;
    const nested = await api.as().post('/v1/query/qry_x').set('Content-Type', 'application/json').send(deep);
    expectError(nested, 400, 'malformed_request', api.dataDir);
    const proto = await api
      .as()
      .post('/v1/save')
      .set('Content-Type', 'application/json')
      .send('{"name":"a","query":"SELECT 1","__proto__":{"polluted":true}}');
    expectError(proto, 400, 'malformed_request', api.dataDir);
    expect(proto.body.error.message).toMatch(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('URLs the router cannot read, and missing assets', () => {
  it('answers 400 for a path that does not percent-decode, 404 for a missing /docs asset', async () => {
    expectError(await api.as().get('/v1/jobs/%E0%A4%A'), 400, 'malformed_request', api.dataDir);
    expectError(await api.as().get('/docs/assets/nothing-here.js'), 404, 'not_found', api.dataDir);
    expectError(await api.as().get('/docs/assets/..%2f..%2fpackage.json'), 404, 'not_found', api.dataDir);
    const page = await api.as().get('/docs').expect(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    await api.as().get('/docs/assets/swagger-ui-bundle.js').expect(200);
  });
});

describe('slow clients', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const config = loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000' });
    server = createHttpServer(api.app, config).listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  /** Sends `chunks` slowly and resolves with what the server answered and when it hung up. */
  async function trickle(first: string, trickleEveryMs: number) {
    const socket = new Socket();
    const started = Date.now();
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(first);
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write('x');
    }, trickleEveryMs);
    await once(socket, 'close');
    clearInterval(timer);
    return { answer, afterMs: Date.now() - started };
  }

  /** A raw 408 answer: the error envelope, as the OpenAPI document declares it. */
  function expectTimeoutEnvelope(answer: string): Record<string, string> {
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    const [status, ...lines] = head.split('\r\n');
    expect(status).toBe('HTTP/1.1 408 Request Timeout');
    const headers = Object.fromEntries(
      lines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    expect(headers).toMatchObject({ 'cache-control': 'no-store', connection: 'close' });
    expect(headers['content-type']).toMatch(/^application\/json/);
    const envelope = JSON.parse(body);
    expect(ZErrorEnvelope.safeParse(envelope).success).toBe(true);
    expect(envelope.error.code).toBe('request_timeout');
    expect(leaks(body, api.dataDir)).toEqual([]);
    return headers;
  }

  it('drops a client whose headers never end (HTTP_HEADERS_TIMEOUT_MS)', async () => {
    const { answer, afterMs } = await trickle('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 200);
    expect(expectTimeoutEnvelope(answer)['x-request-id']).toEqual(expect.any(String));
    expect(afterMs).toBeLessThan(3_500);
  });

  it('drops a client whose body never ends (HTTP_REQUEST_TIMEOUT_MS)', async () => {
    const head = `POST /v1/save HTTP/1.1\r\nHost: x\r\nX-API-Key: acme-test-key-0123456789\r\nX-Request-Id: slow-body-1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"name":"`;
    const { answer, afterMs } = await trickle(head, 200);
    // Express had begun this request, so the answer keeps its request id.
    expect(expectTimeoutEnvelope(answer)['x-request-id']).toBe('slow-body-1');
    expect(afterMs).toBeGreaterThanOrEqual(1_900);
    expect(afterMs).toBeLessThan(4_500);
  });

  it("keeps Node's own answer to a request it cannot parse", async () => {
    const socket = new Socket();
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    socket.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('NOT HTTP AT ALL\r\n\r\n');
    await once(socket, 'close');
    expect(answer).toBe('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
});
