import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.QUEUE_PREFIX).toBe('{analytics}');
    expect(config.PORT).toBe(3000);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.ASYNC_JOBS_ENABLED).toBe(true);
    expect(config.SYNC_WAIT_MS).toBe(30_000);
    expect(config.WORKER_CONCURRENCY).toBe(2);
    expect(config.WORKER_LOCK_DURATION_MS).toBe(30_000);
    expect(config.WORKER_STALLED_INTERVAL_MS).toBe(30_000);
    expect(config.WORKER_MAX_STALLED_COUNT).toBe(1);
    expect(config.RESULT_TTL_SECONDS).toBe(86_400);
    expect(config.RESULTS_INLINE_MAX_ROWS).toBe(1000);
    expect(config.API_KEYS).toEqual([]);
    expect(config.DASHBOARD_AUTH).toBe('on');
    expect(config.RATE_LIMIT_BURST).toBe(0);
    expect(config.AUTH_FAILURES_PER_IP).toBe(30);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.HTTP_HEADERS_TIMEOUT_MS).toBe(10_000);
    expect(config.HTTP_REQUEST_TIMEOUT_MS).toBe(300_000);
    expect(config.DATA_DIR.endsWith('/.data')).toBe(true);
  });

  it('parses API_KEYS into tenants and keys', () => {
    const config = loadConfig({ API_KEYS: 'acme:aaaaaaaaaaaaaaaa1, globex:bbbbbbbbbbbbbbbb2' });
    expect(config.API_KEYS).toEqual([
      { tenant: 'acme', key: 'aaaaaaaaaaaaaaaa1' },
      { tenant: 'globex', key: 'bbbbbbbbbbbbbbbb2' },
    ]);
  });

  it('treats empty values as unset and resolves the burst from the rate', () => {
    const config = loadConfig({ PORT: '', RATE_LIMIT_PER_SECOND: '50' });
    expect(config.PORT).toBe(3000);
    expect(config.RATE_LIMIT_BURST).toBe(50);
  });

  it.each([
    [{ PORT: 'abc' }, 'Invalid configuration: PORT: expected a whole number from 0 to 65535, got "abc"'],
    [
      { ASYNC_JOBS_ENABLED: 'yes' },
      'Invalid configuration: ASYNC_JOBS_ENABLED: expected true or false, got "yes"',
    ],
    [
      { REDIS_URL: 'http://x' },
      'Invalid configuration: REDIS_URL: expected a redis:// or rediss:// URL, got "http://x"',
    ],
    [{ LOG_LEVEL: 'loud' }, 'Invalid configuration: LOG_LEVEL: expected one of'],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY: expected a whole number from 1 to 256'],
    [{ AUTH_FAILURES_PER_IP: '-1' }, 'AUTH_FAILURES_PER_IP: expected a whole number from 0 to 1000000'],
    [
      { WORKER_LOCK_DURATION_MS: '500' },
      'WORKER_LOCK_DURATION_MS: expected a whole number from 1000 to 3600000',
    ],
    [
      { WORKER_STALLED_INTERVAL_MS: 'soon' },
      'WORKER_STALLED_INTERVAL_MS: expected a whole number from 1000 to 3600000',
    ],
    [{ WORKER_MAX_STALLED_COUNT: '-1' }, 'WORKER_MAX_STALLED_COUNT: expected a whole number from 0 to 100'],
    [{ API_KEYS: 'acme:short' }, 'Invalid configuration: API_KEYS: expected tenant:key pairs'],
    [
      { REDIS_CLUSTER: 'true', QUEUE_PREFIX: 'analytics' },
      'QUEUE_PREFIX: with REDIS_CLUSTER=true it must hold a {hash tag}, like {analytics}',
    ],
    [{ REDIS_CLUSTER: 'true', QUEUE_PREFIX: '{}{analytics}' }, 'QUEUE_PREFIX: with REDIS_CLUSTER=true'],
    [
      { DASHBOARD_USER: 'ops' },
      'DASHBOARD_PASSWORD: DASHBOARD_USER and DASHBOARD_PASSWORD must be set together',
    ],
    [
      { HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '30000' },
      'HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (30000)',
    ],
    [
      { RATE_LIMIT_PER_SECOND: '10', RATE_LIMIT_BURST: '5' },
      'RATE_LIMIT_BURST: must be at least RATE_LIMIT_PER_SECOND (10)',
    ],
    [
      { QUERY_TIMEOUT_DEFAULT_MS: '5000', QUERY_TIMEOUT_MAX_MS: '1000' },
      'QUERY_TIMEOUT_DEFAULT_MS: must not exceed QUERY_TIMEOUT_MAX_MS (1000)',
    ],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).toContain(message);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('takes a hash-tagged prefix on Redis Cluster', () => {
    expect(loadConfig({ REDIS_CLUSTER: 'true' }).QUEUE_PREFIX).toBe('{analytics}');
    expect(loadConfig({ REDIS_CLUSTER: 'true', QUEUE_PREFIX: 'app{jobs}' }).REDIS_CLUSTER).toBe(true);
    expect(loadConfig({ QUEUE_PREFIX: 'analytics' }).QUEUE_PREFIX).toBe('analytics');
  });

  it('never echoes a secret it refuses', () => {
    expect(() => loadConfig({ API_KEYS: 'acme:tooshortsecret' })).toThrow(/<redacted>/);
    expect(() => loadConfig({ API_KEYS: 'acme:tooshortsecret' })).not.toThrow(/tooshortsecret/);
  });

  it('reads sizes as bytes and an object store as an s3:// URL', () => {
    const defaults = loadConfig({});
    expect(defaults.SANDBOX_MEMORY_MAX).toBe(4e9);
    expect(defaults.OBJECT_STORE_URL).toBeUndefined();
    const config = loadConfig({ SANDBOX_MEMORY_MAX: '512MiB', OBJECT_STORE_URL: 's3://my-bucket/a/b' });
    expect(config.SANDBOX_MEMORY_MAX).toBe(512 * 2 ** 20);
    expect(config.OBJECT_STORE_URL).toBe('s3://my-bucket/a/b');
    expect(() => loadConfig({ SANDBOX_MEMORY_MAX: '1MB' })).toThrow(/SANDBOX_MEMORY_MAX: expected a size/);
    expect(() => loadConfig({ OBJECT_STORE_URL: '/data' })).toThrow(/OBJECT_STORE_URL: expected s3:/);
    expect(() => loadConfig({ S3_ENDPOINT: 'ftp://x' })).toThrow(/S3_ENDPOINT: expected an http/);
  });
});
