import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import type { RedisClient } from './redis-connection';

export interface RedisLimiterOptions {
  redis: RedisClient;
  /** The Redis key prefix of this limiter's counters (under QUEUE_PREFIX, so in its hash slot). */
  keyPrefix: string;
  points: number;
  /** The fixed window, in seconds: a counter expires this long after its first point. */
  duration: number;
}

/**
 * A counter shared by every replica through Redis (one atomic Lua call per point). While
 * Redis is unreachable each replica counts alone, in memory, with the same size, rather
 * than refusing everyone or waving everyone through.
 */
export function redisLimiter(options: RedisLimiterOptions): RateLimiterRedis {
  const { points, duration } = options;
  return new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: options.keyPrefix,
    points,
    duration,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ points, duration }),
  });
}
