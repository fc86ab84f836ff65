import { rateLimit } from '../middleware/rate-limit';
import { type TestApi, useTestApis } from '../testing/test-api';
import { expectError } from './security-fixtures';

const open = useTestApis();

/** `n` requests at once (well inside one one-second window), answered in order. */
function burst(api: TestApi, n: number, tenant: 'acme' | 'globex' = 'acme') {
  return Promise.all(Array.from({ length: n }, () => api.as(tenant).get('/v1/datasets')));
}

describe('requests per second per API key', () => {
  it('allows RATE_LIMIT_PER_SECOND a second, then answers 429 with Retry-After and RateLimit fields', async () => {
    const api = await open({ RATE_LIMIT_PER_SECOND: '5' });
    const answers = await burst(api, 8);
    const ok = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    expect([ok.length, refused.length]).toEqual([5, 3]);
    for (const res of ok) {
      expect(res.headers['ratelimit-policy']).toBe('"per-second";q=5;w=1');
      expect(res.headers.ratelimit).toMatch(/^"per-second";r=[0-4];t=1$/);
    }
    for (const res of refused) {
      expectError(res, 429, 'rate_limited', api.dataDir);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.headers['ratelimit-policy']).toBe('"per-second";q=5;w=1');
      expect(res.headers.ratelimit).toBe('"per-second";r=0;t=1');
    }
    // Another key has its own count; after the window the first key is served again.
    expect((await burst(api, 5, 'globex')).every((r) => r.status === 200)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_100));
    await api.as('acme').get('/v1/datasets').expect(200);
  });

  it('holds across replicas: they share one count in Redis', async () => {
    const first = await open({ RATE_LIMIT_PER_SECOND: '4' });
    const second = await open({ RATE_LIMIT_PER_SECOND: '4' }, first);
    const answers = await Promise.all([...(await burst(first, 3)), ...(await burst(second, 3))]);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(4);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(2);
  });

  it('lets RATE_LIMIT_BURST requests through at once, the extra ones from a 10-second pool', async () => {
    const api = await open({ RATE_LIMIT_PER_SECOND: '2', RATE_LIMIT_BURST: '5' });
    const answers = await burst(api, 7);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(answers[0]?.headers['ratelimit-policy']).toBe('"per-second";q=2;w=1, "burst";q=3;w=10');
    const fromPool = answers.filter((r) => r.status === 200 && /^"burst"/.test(r.headers.ratelimit ?? ''));
    expect(fromPool).toHaveLength(3);
    // One second later the per-second allowance is back, though the pool is spent.
    await new Promise((r) => setTimeout(r, 1_100));
    const later = await burst(api, 3);
    expect(later.map((r) => r.status).sort()).toEqual([200, 200, 429]);
  });

  it('with RATE_LIMIT_PER_SECOND=0 is off: no middleware, no header, nothing in Redis', async () => {
    expect(rateLimit({ redis: null as never, prefix: 'x', perSecond: 0, burst: 0 })).toBeNull();
    const api = await open({ RATE_LIMIT_PER_SECOND: '0' });
    const answers = await burst(api, 30);
    expect(answers.every((r) => r.status === 200 && r.headers.ratelimit === undefined)).toBe(true);
    expect(await api.deps.redis.keys(`${api.prefix}:ratelimit*`)).toEqual([]);
  });

  it('does not count requests that fail authentication, nor the operations endpoints', async () => {
    const api = await open({ RATE_LIMIT_PER_SECOND: '2' });
    for (let i = 0; i < 5; i += 1) await api.as('acme').get('/healthz').expect(200);
    const anonymous = await api.as('acme').get('/v1/datasets').set('X-API-Key', 'wrong-key-0123456789');
    expectError(anonymous, 401, 'unauthorized', api.dataDir);
    const answers = await burst(api, 2);
    expect(answers.every((r) => r.status === 200)).toBe(true);
  });
});
