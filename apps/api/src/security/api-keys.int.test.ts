import supertest from 'supertest';
import { KEY_CACHE_TTL_MS } from '../middleware/authenticate';
import { MANAGED_KEY } from '../stores/api-key-store';
import { createTestApi, type TestApi } from '../testing/test-api';
import { expectError, runKeysCli, uploadCsv } from './security-fixtures';

let api: TestApi;
let replica: TestApi;
beforeAll(async () => {
  api = await createTestApi();
  replica = await createTestApi({}, api);
});
afterAll(async () => {
  await replica?.close();
  await api?.close();
});

const withKey = (target: TestApi, key: string, path: string) =>
  supertest(target.app).get(path).set('X-API-Key', key);

describe('managed API keys', () => {
  it('are ak_<id>_<secret> with 256 random bits, shown once, stored only as a SHA-256', async () => {
    const { key, info } = await api.deps.apiKeys.create('acme', 'ci');
    const match = MANAGED_KEY.exec(key);
    expect(match?.[1]).toBe(info.id);
    expect(Buffer.from(match?.[2] ?? '', 'base64url')).toHaveLength(32);
    // Nothing in Redis holds the key or its secret.
    const keys = await api.deps.redis.keys(`${api.prefix}*`);
    for (const redisKey of keys) {
      const type = await api.deps.redis.type(redisKey);
      const dumped =
        type === 'hash'
          ? JSON.stringify(await api.deps.redis.hgetall(redisKey))
          : type === 'string'
            ? ((await api.deps.redis.get(redisKey)) ?? '')
            : type === 'zset'
              ? JSON.stringify(await api.deps.redis.zrange(redisKey, 0, -1))
              : '';
      expect(dumped).not.toContain(match?.[2]);
    }
    const stored = await api.deps.redis.hgetall(`${api.prefix}:apikey:${info.id}`);
    expect(Object.keys(stored).sort()).toEqual(['created_ms', 'digest', 'name', 'tenant']);
    expect(stored.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("authenticate as their tenant, alongside API_KEYS, and see that tenant's data only", async () => {
    const { key } = await api.deps.apiKeys.create('acme');
    const dataset = await uploadCsv(api, 'acme');
    await withKey(api, key, `/v1/datasets/${dataset.dataset_id}`).expect(200);
    await withKey(replica, key, `/v1/datasets/${dataset.dataset_id}`).expect(200);
    const { key: globexKey } = await api.deps.apiKeys.create('globex');
    const res = await withKey(api, globexKey, `/v1/datasets/${dataset.dataset_id}`);
    expectError(res, 404, 'not_found', api.dataDir);
  });

  it('refuse a wrong secret for a real id, a malformed key, none, an empty one and two at once', async () => {
    const { key, info } = await api.deps.apiKeys.create('acme');
    const wrongSecret = `ak_${info.id}_${'A'.repeat(43)}`;
    for (const presented of [wrongSecret, `${key}x`, key.slice(0, -1), 'ak_zz_secret', 'x'.repeat(4_000)]) {
      expectError(await withKey(api, presented, '/v1/datasets'), 401, 'unauthorized', api.dataDir);
    }
    expectError(await supertest(api.app).get('/v1/datasets'), 401, 'unauthorized', api.dataDir);
    expectError(await withKey(api, '', '/v1/datasets'), 401, 'unauthorized', api.dataDir);
    const twice = await supertest(api.app)
      .get('/v1/datasets')
      .set('X-API-Key', [key, key] as unknown as string);
    expectError(twice, 401, 'unauthorized', api.dataDir);
    expect(twice.body.error.message).toMatch(/exactly one/);
  });

  it('are refused on every replica within a second of revocation by the CLI', async () => {
    const { key, info } = await api.deps.apiKeys.create('acme');
    // Both replicas have the key verified and cached.
    await withKey(api, key, '/v1/datasets').expect(200);
    await withKey(replica, key, '/v1/datasets').expect(200);
    const revoked = await runKeysCli(['revoke', `ak_${info.id}`], api.env);
    expect(revoked).toMatchObject({ code: 0, stderr: expect.stringContaining(`Revoked ak_${info.id}`) });
    const revokedAt = Date.now();
    const refusedAfter = await Promise.all(
      [api, replica].map(async (target) => {
        for (;;) {
          const res = await withKey(target, key, '/v1/datasets');
          if (res.status === 401) {
            expect(res.body.error.message).toMatch(/revoked/);
            return Date.now() - revokedAt;
          }
          if (Date.now() - revokedAt > 3_000) return Number.POSITIVE_INFINITY;
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    for (const ms of refusedAfter) expect(ms).toBeLessThan(1_000);
    expect(KEY_CACHE_TTL_MS).toBeLessThanOrEqual(500);
  });
});

describe('npm run keys', () => {
  it('creates a key (printed once, on stdout alone) that the API accepts, and lists it without secrets', async () => {
    const created = await runKeysCli(['create', '--tenant', 'globex', '--name', 'nightly export'], api.env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(MANAGED_KEY);
    expect(created.stderr).toMatch(/shown this once/);
    await withKey(api, key, '/v1/datasets').expect(200);

    const listed = await runKeysCli(['list', '--tenant', 'globex', '--json'], api.env);
    expect(listed.code).toBe(0);
    const infos = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    const id = MANAGED_KEY.exec(key)?.[1];
    expect(infos).toContainEqual(
      expect.objectContaining({ id, tenant: 'globex', name: 'nightly export', revoked_ms: null }),
    );
    expect(listed.stdout).not.toContain(key.slice(20));
    expect(infos.every((i) => i.tenant === 'globex')).toBe(true);

    const table = await runKeysCli(['list'], api.env);
    expect(table.stdout).toMatch(new RegExp(`ak_${id}\\s+globex\\s+nightly export`));
  });

  it('answers usage errors with 2 and an unknown key with 1', async () => {
    expect((await runKeysCli(['create'], api.env)).code).toBe(2);
    expect((await runKeysCli(['create', '--tenant', 'a:b'], api.env)).code).toBe(2);
    expect((await runKeysCli(['frobnicate'], api.env)).code).toBe(2);
    expect((await runKeysCli(['revoke', 'nonsense'], api.env)).code).toBe(2);
    const unknown = await runKeysCli(['revoke', 'ak_0123456789abcdef'], api.env);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('No key') });
  });
});
