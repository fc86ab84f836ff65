import { AUTH_FAILURE_WINDOW_SECONDS, createRedisClient, type RedisClient, whenReady } from '@repo/queue';
import { freePort, makeTestEnv, startRedis, startService, waitFor } from '@repo/test-utils';
import type { Express } from 'express';
import supertest from 'supertest';
import { dashboardAuthFailures } from './basic-auth';
import { createDashboardApp } from './create-dashboard-app';

const USER = 'ops';
const PASSWORD = 'correct horse battery';

const redises: RedisClient[] = [];
afterAll(() => {
  for (const redis of redises) redis.disconnect();
});

/**
 * A dashboard app as main.ts builds it, with AUTH_FAILURES_PER_IP=`limit`, over a fresh key
 * prefix (every request of a test comes from 127.0.0.1, so each test counts alone) — or,
 * given `prefix`, a second replica sharing another's counts.
 */
async function dashboard(
  limit: number,
  prefix?: string,
): Promise<{ app: Express; prefix: string; redis: RedisClient }> {
  const testEnv = makeTestEnv({
    AUTH_FAILURES_PER_IP: String(limit),
    ...(prefix ? { QUEUE_PREFIX: prefix } : {}),
  });
  const redis = createRedisClient(testEnv.config, 'request', () => undefined);
  redises.push(redis);
  await whenReady(redis);
  const app = createDashboardApp({
    queues: [],
    auth: { kind: 'basic', user: USER, password: PASSWORD },
    authFailures: dashboardAuthFailures(redis, testEnv.config),
    readOnly: true,
  });
  return { app, prefix: testEnv.prefix, redis };
}

const wrong = (app: Express, i = 0) => supertest(app).get('/api/queues').auth(USER, `wrong password ${i}`);
const right = (app: Express) => supertest(app).get('/api/queues').auth(USER, PASSWORD);
const anonymous = (app: Express) => supertest(app).get('/api/queues');

function expectChallenge(res: supertest.Response) {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/);
}

function expectBlocked(res: supertest.Response, limit: number) {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 429,
    body: {
      error: {
        code: 'rate_limited',
        message: `Too many failed logins from this address: at most ${limit} per ${AUTH_FAILURE_WINDOW_SECONDS} s. Retry after the time in Retry-After.`,
        details: [],
      },
    },
  });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(AUTH_FAILURE_WINDOW_SECONDS);
  expect(res.headers['www-authenticate']).toBeUndefined();
}

describe('failed dashboard logins per client address (AUTH_FAILURES_PER_IP)', () => {
  it('answers 401 up to the limit, then 429 with Retry-After to everything from the address, right password included', async () => {
    const { app, prefix, redis } = await dashboard(3);
    for (let i = 0; i < 3; i += 1) expectChallenge(await wrong(app, i));
    expectBlocked(await wrong(app, 3), 3);
    // One shared, hand-chosen password: a right guess must look like any other from here on.
    expectBlocked(await right(app), 3);
    expectBlocked(await anonymous(app), 3);
    expectBlocked(await supertest(app).get('/').auth(USER, PASSWORD), 3);
    // One counter per address, in Redis under the prefix, apart from the API's.
    expect(await redis.keys(`${prefix}:dashboard-authfail:*`)).toHaveLength(1);
    expect(await redis.keys(`${prefix}:authfail:*`)).toEqual([]);
  });

  it('counts neither the browser’s request before its login prompt nor successful logins', async () => {
    const { app } = await dashboard(2);
    for (let i = 0; i < 10; i += 1) {
      expectChallenge(await anonymous(app));
      expect((await right(app)).status).toBe(200);
    }
    expectChallenge(await wrong(app, 1));
    expectChallenge(await wrong(app, 2));
    expectBlocked(await wrong(app, 3), 2);
  });

  it('holds across two dashboard replicas on one Redis, for the right password too', async () => {
    const first = await dashboard(4);
    const second = await dashboard(4, first.prefix);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => wrong(i % 2 === 0 ? first.app : second.app, i)),
    );
    expect(answers.filter((r) => r.status === 401)).toHaveLength(4);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused).toHaveLength(6);
    for (const res of refused) expectBlocked(res, 4);
    // A replica that never itself saw the address go over still refuses it (read from Redis).
    const third = await dashboard(4, first.prefix);
    expectBlocked(await right(third.app), 4);
  });

  it('is off with AUTH_FAILURES_PER_IP=0: every failure is 401, the right password passes', async () => {
    const { app, prefix, redis } = await dashboard(0);
    for (let i = 0; i < 40; i += 1) expectChallenge(await wrong(app, i));
    expect((await right(app)).status).toBe(200);
    expect(await redis.keys(`${prefix}:dashboard-authfail*`)).toEqual([]);
  });

  it('counts in memory while Redis is unreachable, never letting logins through unchecked', async () => {
    let redis = await startRedis();
    const testEnv = makeTestEnv({ REDIS_URL: redis.url, AUTH_FAILURES_PER_IP: '2' });
    const client = createRedisClient(testEnv.config, 'request', () => undefined);
    try {
      const app = createDashboardApp({
        queues: [],
        auth: { kind: 'basic', user: USER, password: PASSWORD },
        authFailures: dashboardAuthFailures(client, testEnv.config),
        readOnly: true,
      });
      await redis.stop();
      await waitFor('the client to see Redis gone', async () => client.status !== 'ready');
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await wrong(app, i)).status);
      expect(statuses).toEqual([401, 401, 429, 429]);
      expect((await right(app)).status).toBe(429);
      // Back, so that closing the connection goes the ordinary way.
      redis = await startRedis([], redis.port);
      await waitFor('the client to reconnect', async () => client.status === 'ready');
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });

  it('is wired by the dashboard process itself (main.ts), from AUTH_FAILURES_PER_IP', async () => {
    const port = await freePort();
    const testEnv = makeTestEnv();
    const service = await startService('dashboard', {
      ...testEnv.env,
      DASHBOARD_PORT: String(port),
      DASHBOARD_USER: USER,
      DASHBOARD_PASSWORD: PASSWORD,
      AUTH_FAILURES_PER_IP: '2',
    });
    try {
      const url = `http://127.0.0.1:${port}/api/queues`;
      const basic = (password: string) => ({
        Authorization: `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`,
      });
      const statuses = [];
      for (let i = 0; i < 3; i += 1)
        statuses.push((await fetch(url, { headers: basic(`nope ${i}`) })).status);
      expect(statuses).toEqual([401, 401, 429]);
      const blocked = await fetch(url, { headers: basic(PASSWORD) });
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});
