import { createQueryQueue, createRedisClient } from '@repo/queue';
import { makeTestEnv, startService } from '@repo/test-utils';
import supertest from 'supertest';
import { createDashboardApp } from './create-dashboard-app';

const USER = 'ops';
const PASSWORD = 'correct horse battery';

describe('dashboard', () => {
  const testEnv = makeTestEnv();
  const redis = createRedisClient(testEnv.config, 'request', () => undefined);
  const queue = createQueryQueue(redis, testEnv.prefix);
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    redis.disconnect();
  });

  const app = (readOnly = false) =>
    createDashboardApp({
      queues: [queue],
      auth: { kind: 'basic', user: USER, password: PASSWORD },
      // The failed-login limit has its own tests (login-failure-limit.int.test.ts).
      authFailures: null,
      readOnly,
    });

  it('challenges for Basic credentials on the page and on bull-board’s JSON routes', async () => {
    for (const path of ['/', '/api/queues', '/api/queues/analytics-queries/retry/failed']) {
      const res = await supertest(app()).get(path);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Analytics queues", charset="UTF-8"');
    }
    const wrong = await supertest(app()).get('/api/queues').auth(USER, 'wrong password here');
    expect(wrong.status).toBe(401);
    const wrongUser = await supertest(app()).get('/api/queues').auth('root', PASSWORD);
    expect(wrongUser.status).toBe(401);
  });

  it('shows the product’s queue to an operator who logs in, with security headers', async () => {
    const page = await supertest(app()).get('/').auth(USER, PASSWORD);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-powered-by']).toBeUndefined();
    const queues = await supertest(app()).get('/api/queues').auth(USER, PASSWORD);
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((q: { name: string }) => q.name)).toEqual(['analytics-queries']);
  });

  it('read-only mode hides and refuses retry, clean and remove', async () => {
    const queues = await supertest(app(true)).get('/api/queues').auth(USER, PASSWORD);
    expect(queues.body.queues[0]).toMatchObject({ readOnlyMode: true, allowRetries: false });
    const retry = await supertest(app(true))
      .put('/api/queues/analytics-queries/retry/failed')
      .auth(USER, PASSWORD);
    expect(retry.status).toBe(405);
    const clean = await supertest(app(true))
      .put('/api/queues/analytics-queries/clean/completed')
      .auth(USER, PASSWORD);
    expect(clean.status).toBe(405);
    const writable = await supertest(app(false))
      .put('/api/queues/analytics-queries/clean/completed')
      .auth(USER, PASSWORD);
    expect(writable.status).toBe(200);
  });

  it('refuses to start without credentials, saying why; starts with DASHBOARD_AUTH=off', async () => {
    await expect(startService('dashboard', { ...testEnv.env, DASHBOARD_PORT: '0' }, 15_000)).rejects.toThrow(
      /exited with 1[\s\S]*needs credentials: set DASHBOARD_USER and DASHBOARD_PASSWORD/,
    );
    const open = await startService('dashboard', {
      ...testEnv.env,
      DASHBOARD_PORT: '0',
      DASHBOARD_AUTH: 'off',
    });
    expect(open.output()).toContain('local development only');
    expect(await open.stop()).toBe(0);
  });
});
