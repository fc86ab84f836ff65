import { startRedis } from '@repo/test-utils';
import { createRedisClient, whenReady } from './redis-connection';
import { checkRedisPolicy } from './redis-policy';

describe('checkRedisPolicy', () => {
  it.each([
    [['--maxmemory-policy', 'noeviction'], { maxmemoryPolicy: 'noeviction', ok: true, warning: null }],
    [
      ['--maxmemory-policy', 'allkeys-lru'],
      {
        maxmemoryPolicy: 'allkeys-lru',
        ok: false,
        warning: expect.stringMatching(/allkeys-lru.*noeviction/),
      },
    ],
    [
      // A managed Redis that refuses CONFIG: we say what to check instead of failing.
      ['--rename-command', 'CONFIG', ''],
      { maxmemoryPolicy: null, ok: true, warning: expect.stringMatching(/CONFIG GET is not allowed/) },
    ],
  ])('with %j', async (args, expected) => {
    const redis = await startRedis(args);
    const client = createRedisClient(
      { REDIS_URL: redis.url, REDIS_CLUSTER: false },
      'request',
      () => undefined,
    );
    try {
      await whenReady(client);
      expect(await checkRedisPolicy(client)).toEqual(expected);
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });
});
