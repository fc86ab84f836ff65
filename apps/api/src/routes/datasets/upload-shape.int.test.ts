import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { TEST_KEYS } from '@repo/test-utils';
import type { Response } from 'supertest';
import { createHttpServer } from '../../http-server';
import { expectError } from '../../security/security-fixtures';
import { createTestApi, type TestApi } from '../../testing/test-api';

/**
 * Uploads shaped to break DuckDB (found by a security review) are refused while they
 * stream in, before the converter opens them: a few hundred nested brackets (an INTERNAL
 * error in DuckDB), thousands of nested objects on one line (minutes and gigabytes), a
 * 200 kB array nested 100,000 deep (SIGSEGV), a line past UPLOAD_MAX_LINE_BYTES. Each is
 * answered 422 within moments, stores nothing, and does not disturb another tenant's upload.
 */
const MAX_DEPTH = 16; // UPLOAD_MAX_DEPTH's default
const MAX_LINE_BYTES = 8_388_608; // UPLOAD_MAX_LINE_BYTES's default
/** Far below what DuckDB takes on these inputs (a crash, or a converter timeout of minutes). */
const QUICK_MS = 5_000;

let api: TestApi;
let server: Server;
let port: number;
beforeAll(async () => {
  api = await createTestApi();
  server = createHttpServer(api.app, api.config).listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await api?.close();
});

async function filesUnder(dir: string): Promise<string[]> {
  return readdir(join(api.dataDir, dir)).catch(() => []);
}

async function datasetNames(tenant: 'acme' | 'globex'): Promise<string[]> {
  const res = await api.as(tenant).get('/v1/datasets?limit=100').expect(200);
  return (res.body.data as Array<{ name: string }>).map((d) => d.name);
}

async function timedUpload(type: string, body: string, name: string): Promise<{ res: Response; ms: number }> {
  const started = Date.now();
  const res = await api.as().post(`/v1/datasets?name=${name}`).set('Content-Type', type).send(body);
  return { res, ms: Date.now() - started };
}

const arrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const objects = (levels: number) => `${'{"k":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** A well-formed NDJSON upload of `rows` rows, some 20 MB: it takes DuckDB a while. */
function normalNdjson(rows: number): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i += 1) {
    lines.push(
      JSON.stringify({ id: i, region: i % 2 ? 'North' : 'South', note: `"[{${i}`, tags: [[i], { k: [i] }] }),
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('hostile upload shapes', () => {
  const HOSTILE: Array<[string, string, () => string, RegExp]> = [
    [
      'the 407-byte NDJSON file with 200 nested brackets',
      'application/x-ndjson',
      () => `{"v":${arrays(200)}}\n`,
      /^NDJSON line 1: nested deeper than 16 levels \(UPLOAD_MAX_DEPTH\)\.$/,
    ],
    [
      'an NDJSON line nested 5,000 objects deep, after good lines',
      'application/x-ndjson',
      () => `{"a":1}\n{"a":2}\n{"a":${objects(5_000)}}\n{"a":3}\n`,
      /^NDJSON line 3: nested deeper than 16 levels/,
    ],
    [
      'a 200 kB JSON array nested 100,000 deep',
      'application/json',
      () => arrays(100_000),
      /^JSON record 1 \(line 1\): nested deeper than 16 levels/,
    ],
    [
      'an NDJSON line one byte over UPLOAD_MAX_LINE_BYTES',
      'application/x-ndjson',
      // {"s":"…"} is 8 bytes around the text.
      () => `{"s":"ok"}\n{"s":"${'x'.repeat(MAX_LINE_BYTES - 7)}"}\n`,
      /^NDJSON line 2 is longer than 8388608 bytes \(UPLOAD_MAX_LINE_BYTES\)\.$/,
    ],
    [
      'a CSV line one byte over UPLOAD_MAX_LINE_BYTES',
      'text/csv',
      () => `a,b\n1,2\n3,${'y'.repeat(MAX_LINE_BYTES - 1)}\n`,
      /^CSV line 3 is longer than 8388608 bytes \(UPLOAD_MAX_LINE_BYTES\)\.$/,
    ],
  ];

  it.each(HOSTILE)('refuses %s with 422 at once, storing nothing', async (_what, type, body, message) => {
    const { res, ms } = await timedUpload(type, body(), 'hostile');
    expectError(res, 422, 'invalid_dataset', api.dataDir);
    expect(res.body.error.message).toMatch(message);
    expect(ms).toBeLessThan(QUICK_MS);
    expect(await filesUnder('uploads')).toEqual([]);
    expect(await filesUnder('datasets')).toEqual([]);
    expect(await datasetNames('acme')).not.toContain('hostile');
  });

  it('takes nesting and lines exactly at the limits, brackets inside strings and all', async () => {
    // The row object is level 1: 63 more levels of objects make 64.
    const atDepth = `{"v":${objects(MAX_DEPTH - 1)},"s":"${arrays(500)}"}\n`;
    const atDepthRes = await api
      .as()
      .post('/v1/datasets?name=at-depth')
      .set('Content-Type', 'application/x-ndjson')
      .send(`${atDepth}${atDepth}`);
    expect(atDepthRes.status).toBe(201);
    expect(atDepthRes.body.row_count).toBe(2);

    // NDJSON: DuckDB's own CSV line limit (2 MB unless the engine raises it) is not this test's.
    const longest = `{"s":"${'z'.repeat(MAX_LINE_BYTES - 8)}"}\n`;
    const longestRes = await api
      .as()
      .post('/v1/datasets?name=longest')
      .set('Content-Type', 'application/x-ndjson')
      .send(longest);
    expect(longestRes.status).toBe(201);
    expect(longestRes.body.row_count).toBe(1);
  });

  it("answers while the hostile body is still arriving, closes the connection, and another tenant's upload goes on", async () => {
    const before = await datasetNames('globex');
    const normal = api
      .as('globex')
      .post('/v1/datasets?name=normal')
      .set('Content-Type', 'application/x-ndjson')
      .send(normalNdjson(200_000));

    // A client that sends the start of a deep line, then keeps sending and never ends its body.
    const started = Date.now();
    const hostile = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/datasets?name=endless',
      headers: { 'X-API-Key': TEST_KEYS.acme, 'Content-Type': 'application/x-ndjson' },
    });
    hostile.on('error', () => {
      // Writes after the server hung up fail; the answer is what is checked.
    });
    const answered = once(hostile, 'response') as Promise<[IncomingMessage]>;
    hostile.write(`{"id":1}\n{"v":${'['.repeat(MAX_DEPTH + 1)}`);
    const feeding = setInterval(() => hostile.write('['.repeat(10_000)), 10);
    try {
      const [response] = await answered;
      const answeredMs = Date.now() - started;
      let text = '';
      for await (const chunk of response) text += chunk;
      expect(response.statusCode).toBe(422);
      expect(JSON.parse(text).error).toEqual({
        code: 'invalid_dataset',
        message: 'NDJSON line 2: nested deeper than 16 levels (UPLOAD_MAX_DEPTH).',
        details: [],
      });
      expect(answeredMs).toBeLessThan(QUICK_MS);
      // The rest of the body is never read, so the connection is closed, not kept alive.
      expect(response.headers.connection).toBe('close');
      const socket = hostile.socket;
      if (socket && !socket.destroyed) await once(socket, 'close');
    } finally {
      clearInterval(feeding);
      hostile.destroy();
    }

    const res = await normal;
    expect(res.status).toBe(201);
    expect(res.body.row_count).toBe(200_000);
    expect(await datasetNames('globex')).toEqual(['normal', ...before]);
    expect(await datasetNames('acme')).not.toContain('endless');
    expect(await filesUnder('uploads')).toEqual([]);
  });
});
