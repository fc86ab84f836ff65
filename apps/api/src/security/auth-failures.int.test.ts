import { rm } from 'node:fs/promises';
import { makeTestEnv, startRedis, TEST_KEYS, waitFor } from '@repo/test-utils';
import pino from 'pino';
import supertest from 'supertest';
import { createApp } from '../app';
import { connectDeps } from '../connect-deps';
import { AUTH_FAILURE_WINDOW_SECONDS, authFailureLimit } from '../middleware/auth-failure-limit';
import { type TestApi, useTestApis } from '../testing/test-api';
import { expectError } from './security-fixtures';

const open = useTestApis();

/** Failed checks of every kind: no key, a wrong one, a managed key's shape with an unknown id. */
const WRONG_KEYS = [undefined, 'wrong-key-0123456789', `ak_0123456789abcdef_${'A'.repeat(43)}`];

function wrongKey(api: TestApi, i: number) {
  const request = supertest(api.app).get('/v1/datasets');
  const key = WRONG_KEYS[i % WRONG_KEYS.length];
  return key === undefined ? request : request.set('X-API-Key', key);
}

async function failSequentially(api: TestApi, n: number) {
  const answers = [];
  for (let i = 0; i < n; i += 1) answers.push(await wrongKey(api, i));
  return answers;
}

function expectBlocked(res: supertest.Response, api: TestApi, limit: number) {
  expectError(res, 429, 'rate_limited', api.dataDir);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(AUTH_FAILURE_WINDOW_SECONDS);
  expect(res.headers['ratelimit-policy']).toBe(`"auth-failures";q=${limit};w=${AUTH_FAILURE_WINDOW_SECONDS}`);
  expect(res.headers.ratelimit).toBe(`"auth-failures";r=0;t=${retryAfter}`);
  expect(res.body.error.message).toMatch(/failed API key checks from this address/);
}

describe('failed API key checks per client address (AUTH_FAILURES_PER_IP)', () => {
  it('answers 401 up to the limit, then 429 with Retry-After for the rest of the window', async () => {
    const api = await open({ AUTH_FAILURES_PER_IP: '3' });
    const answers = await failSequentially(api, 6);
    for (const res of answers.slice(0, 3)) expectError(res, 401, 'unauthorized', api.dataDir);
    for (const res of answers.slice(3)) expectBlocked(res, api, 3);
    // One counter per address, in Redis under the prefix.
    const counters = await api.deps.redis.keys(`${api.prefix}:authfail:*`);
    expect(counters).toHaveLength(1);
  });

  it('holds across two API instances on one Redis', async () => {
    const first = await open({ AUTH_FAILURES_PER_IP: '4' });
    const second = await open({ AUTH_FAILURES_PER_IP: '4' }, first);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => wrongKey(i % 2 === 0 ? first : second, i)),
    );
    expect(answers.filter((r) => r.status === 401)).toHaveLength(4);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused).toHaveLength(6);
    for (const res of refused) expectBlocked(res, first, 4);
    // Each instance refuses the address now, whichever saw it pass the limit.
    expectBlocked(await wrongKey(first, 1), first, 4);
    expectBlocked(await wrongKey(second, 1), first, 4);
  });

  it('does not count successful requests', async () => {
    const api = await open({ AUTH_FAILURES_PER_IP: '2' });
    const { key: managed } = await api.deps.apiKeys.create('acme');
    expectError(await wrongKey(api, 1), 401, 'unauthorized', api.dataDir);
    for (let i = 0; i < 10; i += 1) {
      await api.as('acme').get('/v1/datasets').expect(200);
      await supertest(api.app).get('/v1/datasets').set('X-API-Key', managed).expect(200);
    }
    expectError(await wrongKey(api, 2), 401, 'unauthorized', api.dataDir);
    expectBlocked(await wrongKey(api, 0), api, 2);
  });

  it('lets a valid managed key through from a blocked address, but not an API_KEYS key', async () => {
    const api = await open({ AUTH_FAILURES_PER_IP: '2' });
    const { key: managed } = await api.deps.apiKeys.create('globex');
    await failSequentially(api, 3);
    // 256-bit secrets cannot be guessed: refusing them would only lock out NAT neighbours.
    await supertest(api.app).get('/v1/datasets').set('X-API-Key', managed).expect(200);
    // A hand-chosen key could be; a 200 would tell a guesser it had found one.
    expectBlocked(await api.as('acme').get('/v1/datasets'), api, 2);
    expectBlocked(await supertest(api.app).get('/v1/datasets').set('X-API-Key', TEST_KEYS.globex), api, 2);
  });

  it('counts the TCP peer, not what X-Forwarded-For claims', async () => {
    const api = await open({ AUTH_FAILURES_PER_IP: '2' });
    const forged = (i: number) => wrongKey(api, i).set('X-Forwarded-For', `203.0.113.${i}`);
    expect((await forged(1)).status).toBe(401);
    expect((await forged(2)).status).toBe(401);
    expectBlocked(await forged(3), api, 2);
  });

  it('is off with AUTH_FAILURES_PER_IP=0: every failure is 401 and nothing is counted', async () => {
    expect(authFailureLimit({ redis: null as never, prefix: 'x', failures: 0 })).toBeNull();
    const api = await open({ AUTH_FAILURES_PER_IP: '0' });
    const answers = await failSequentially(api, 40);
    for (const res of answers) expectError(res, 401, 'unauthorized', api.dataDir);
    expect(await api.deps.redis.keys(`${api.prefix}:authfail*`)).toEqual([]);
  });

  it('counts in memory on each instance while Redis is unreachable', async () => {
    let redis = await startRedis();
    const env = makeTestEnv({ REDIS_URL: redis.url, AUTH_FAILURES_PER_IP: '2' });
    const connected = await connectDeps(env.config, pino({ level: 'silent' }));
    try {
      const app = createApp(connected.deps);
      await redis.stop();
      await waitFor('the API to see Redis gone', async () => connected.deps.redis.status !== 'ready');
      const statuses = [];
      for (let i = 0; i < 4; i += 1) {
        statuses.push(
          (await supertest(app).get('/v1/datasets').set('X-API-Key', 'wrong-key-0123456789')).status,
        );
      }
      expect(statuses).toEqual([401, 401, 429, 429]);
      // Back, so that closing the app's connections goes the ordinary way.
      redis = await startRedis([], redis.port);
      await waitFor('the API to reconnect', async () => connected.deps.redis.status === 'ready');
    } finally {
      await connected.close();
      await redis.stop();
      await rm(env.dataDir, { recursive: true, force: true });
    }
  });
});
