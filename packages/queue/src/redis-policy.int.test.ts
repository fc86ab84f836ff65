import { startRedis } from '@repo/test-utils';
import { Redis } from 'ioredis';
import { createRedisClient, whenReady } from './redis-connection';
import { checkRedisPolicy } from './redis-policy';

const EVICTION = /allkeys-lru.*noeviction/;
const AOF_OFF = /appendonly is no.*restart of Redis loses.*appendonly yes/;

describe('checkRedisPolicy', () => {
  it.each([
    [
      ['--maxmemory-policy', 'noeviction', '--appendonly', 'yes'],
      { maxmemoryPolicy: 'noeviction', ok: true, warning: null, appendonly: true, warnings: [] },
    ],
    [
      ['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no'],
      {
        maxmemoryPolicy: 'allkeys-lru',
        ok: false,
        warning: expect.stringMatching(EVICTION),
        appendonly: false,
        warnings: [expect.stringMatching(EVICTION), expect.stringMatching(AOF_OFF)],
      },
    ],
    [
      // AOF off alone: /readyz's `warning` (eviction only) stays empty; the logs say it.
      ['--maxmemory-policy', 'noeviction', '--appendonly', 'no'],
      {
        maxmemoryPolicy: 'noeviction',
        ok: true,
        warning: null,
        appendonly: false,
        warnings: [expect.stringMatching(AOF_OFF)],
      },
    ],
    [
      // A managed Redis that refuses CONFIG: INFO answers both questions.
      ['--rename-command', 'CONFIG', '', '--maxmemory-policy', 'allkeys-lru', '--appendonly', 'yes'],
      {
        maxmemoryPolicy: 'allkeys-lru',
        ok: false,
        warning: expect.stringMatching(EVICTION),
        appendonly: true,
        warnings: [expect.stringMatching(EVICTION)],
      },
    ],
    [
      ['--rename-command', 'CONFIG', '', '--appendonly', 'no'],
      {
        maxmemoryPolicy: 'noeviction',
        ok: true,
        warning: null,
        appendonly: false,
        warnings: [expect.stringMatching(AOF_OFF)],
      },
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

  it('says what to check, without failing, when Redis allows neither CONFIG nor INFO', async () => {
    // As an ACL on a managed Redis would: both refused with NOPERM.
    const redis = await startRedis([
      '--user',
      'default',
      'on',
      'nopass',
      '~*',
      '&*',
      '+@all',
      '-config',
      '-info',
    ]);
    // (ioredis's own ready check uses INFO.)
    const client = new Redis(redis.url, { enableReadyCheck: false, maxRetriesPerRequest: 1 });
    try {
      expect(await client.ping()).toBe('PONG');
      const notAllowed = /CONFIG GET and INFO are not allowed/;
      expect(await checkRedisPolicy(client)).toEqual({
        maxmemoryPolicy: null,
        ok: true,
        warning: expect.stringMatching(/not allowed.*maxmemory-policy could not be checked.*noeviction/),
        appendonly: null,
        warnings: [
          expect.stringMatching(notAllowed),
          expect.stringMatching(/not allowed.*persistence could not be checked.*appendonly is yes/),
        ],
      });
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });

  it('fails, rather than guesses, when Redis does not answer', async () => {
    const redis = await startRedis();
    const client = createRedisClient(
      { REDIS_URL: redis.url, REDIS_CLUSTER: false },
      'request',
      () => undefined,
    );
    try {
      await whenReady(client);
      await redis.stop();
      await expect(checkRedisPolicy(client)).rejects.toThrow();
    } finally {
      client.disconnect();
    }
  });
});
