import { Writable } from 'node:stream';
import { API_ROUTES } from '@repo/contracts';
import { makeTestEnv, parsePrometheusText, startRedis, TEST_KEYS, waitFor } from '@repo/test-utils';
import type { Express } from 'express';
import supertest from 'supertest';
import { createApp } from '../../app';
import { connectDeps } from '../../connect-deps';
import { createApiLogger } from '../../telemetry/request-logger';
import { createTestApi, type TestApi } from '../../testing/test-api';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  rawPath?: string;
  handle?: { stack?: Layer[] };
}

/** The routes Express really has, read from its router stack, in OpenAPI spelling. */
function expressRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = `${prefix}${layer.route.path}`.replace(
          /:(\w+)/g,
          (_m, name: string) => `{${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}}`,
        );
        const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
        for (const method of Object.keys(layer.route.methods)) found.push(`${method} ${trimmed}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}

describe('operations endpoints', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('keeps the OpenAPI document and the routes in step: every route has a path, every path a route', async () => {
    const doc = (await supertest(api.app).get('/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`),
    );
    // The reference page's own script is part of /docs, and the browsers' favicon no API route.
    const routed = expressRoutes(api.app).filter(
      (r) => r !== 'get /docs/init.js' && r !== 'get /favicon.ico',
    );
    expect([...routed].sort()).toEqual([...documented].sort());
    expect(documented).toHaveLength(API_ROUTES.length);
    expect(
      doc.paths['/v1/jobs/{job_id}'].get.responses['200'].content['application/json'].schema.properties,
    ).toHaveProperty('progress');
    expect(doc.components.securitySchemes.ApiKey).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    });
  });

  it('serves /docs from local assets only', async () => {
    const page = await supertest(api.app).get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).not.toMatch(/https?:\/\//);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) expect((await supertest(api.app).get(asset)).status).toBe(200);
  });

  it('exposes Prometheus metrics by route template, status and queue state', async () => {
    await api.as().get('/v1/jobs/job_unknown00000000000000000');
    await api.as().get('/v1/datasets');
    const res = await supertest(api.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const metrics = parsePrometheusText(res.text);
    const requests = metrics.get('analytics_http_requests_total');
    expect(requests?.type).toBe('COUNTER');
    expect(requests?.metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          labels: { method: 'GET', route: '/v1/jobs/:jobId', status: '404' },
          value: '1',
        }),
        expect.objectContaining({
          labels: { method: 'GET', route: '/v1/datasets', status: '200' },
          value: '1',
        }),
      ]),
    );
    expect(JSON.stringify(requests)).not.toContain('job_unknown');
    expect(metrics.get('analytics_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    const depth = metrics.get('analytics_queue_jobs');
    expect(depth?.metrics.map((m) => m.labels?.state).sort()).toEqual(
      ['active', 'completed', 'delayed', 'failed', 'prioritized', 'waiting'].sort(),
    );
    expect(metrics.get('process_resident_memory_bytes')).toBeDefined();
  });

  it('reports readiness with Redis and its maxmemory-policy', async () => {
    const ready = await supertest(api.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', redis: 'ok', maxmemory_policy: 'noeviction' });
    expect((await supertest(api.app).get('/healthz')).body).toEqual({ status: 'ok' });
  });

  it('warns on /readyz when Redis may evict, answers 503 while Redis is gone, and recovers', async () => {
    // BullMQ says so too, on the console, for each of its connections: expected here, and
    // kept out of the run's output (any other console warning still goes through).
    const warn = console.warn.bind(console);
    const bullmqWarning = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      if (!String(args[0]).startsWith('IMPORTANT! Eviction policy is allkeys-lru')) warn(...args);
    });
    let lru = await startRedis(['--maxmemory-policy', 'allkeys-lru']);
    const testEnv = makeTestEnv({ REDIS_URL: lru.url });
    const connected = await connectDeps(testEnv.config, createApiLogger('silent'));
    try {
      const app = createApp(connected.deps);
      const ready = await supertest(app).get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.maxmemory_policy).toBe('allkeys-lru');
      expect(ready.body.warning).toMatch(/noeviction/);
      await lru.stop();
      const started = Date.now();
      const down = await supertest(app).get('/readyz');
      expect(down.status).toBe(503);
      expect(down.headers['retry-after']).toBe('2');
      expect(Date.now() - started).toBeLessThan(2_000);
      lru = await startRedis(['--maxmemory-policy', 'noeviction'], lru.port);
      await waitFor('readiness to return', async () => (await supertest(app).get('/readyz')).status === 200);
    } finally {
      await connected.close();
      await lru.stop();
      bullmqWarning.mockRestore();
    }
  });

  it('answers /favicon.ico with 204, no key needed, and logs no warning for it', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    const connected = await connectDeps(api.config, createApiLogger('debug', sink));
    try {
      const app = createApp(connected.deps);
      for (const method of ['get', 'head'] as const) {
        const icon = await supertest(app)[method]('/favicon.ico');
        expect(icon.status).toBe(204);
        expect(icon.headers['cache-control']).toBe('public, max-age=86400');
        expect(icon.text ?? '').toBe('');
      }
      // A path nobody serves still gets its 404 and its warning.
      expect((await supertest(app).get('/favicon.png')).status).toBe(404);
      await new Promise((r) => setImmediate(r));
      const entries = lines.map((line) => JSON.parse(line));
      const icons = entries.filter((e) => e.req?.url === '/favicon.ico');
      expect(icons).toHaveLength(2);
      expect(icons.every((e) => e.level < 40 && e.res.statusCode === 204)).toBe(true);
      expect(entries.some((e) => e.req?.url === '/favicon.png' && e.level === 40)).toBe(true);
    } finally {
      await connected.close();
    }
  });

  it('logs JSON lines carrying the request id, and never an API key', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    const connected = await connectDeps(api.config, createApiLogger('debug', sink));
    try {
      const app = createApp(connected.deps);
      await supertest(app)
        .get('/v1/datasets')
        .set('X-API-Key', TEST_KEYS.acme)
        .set('X-Request-Id', 'req-visible-1');
      await supertest(app).get('/v1/datasets').set('X-API-Key', 'wrong-key-that-must-not-leak');
      await new Promise((r) => setImmediate(r));
      const entries = lines.map((line) => JSON.parse(line));
      const ok = entries.find((e) => e.requestId === 'req-visible-1');
      expect(ok).toMatchObject({ app: 'api', res: { statusCode: 200 } });
      expect(entries.some((e) => e.res?.statusCode === 401 && e.level === 40)).toBe(true);
      expect(entries.every((e) => typeof e.requestId === 'string' && e.requestId.length > 0)).toBe(true);
      expect(lines.join('\n')).not.toContain(TEST_KEYS.acme);
      expect(lines.join('\n')).not.toContain('wrong-key-that-must-not-leak');
    } finally {
      await connected.close();
    }
  });
});
