import { type RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisClient } from './redis-connection';
import { redisLimiter } from './redis-limiter';

/** Failed logins are counted per client address over this fixed window. */
export const AUTH_FAILURE_WINDOW_SECONDS = 60;
/** Blocked addresses one process remembers at most; the oldest go first. */
const REMEMBERED_MAX = 10_000;

export interface AuthFailureCounterOptions {
  redis: RedisClient;
  /** The Redis key prefix of the counters (under QUEUE_PREFIX, so in its hash slot). */
  keyPrefix: string;
  /** Failures an address may make per window (AUTH_FAILURES_PER_IP, above 0). */
  failures: number;
}

/**
 * Failed logins per client address (see clientAddressKey), counted in Redis so the count
 * holds across replicas; while Redis is unreachable each process counts alone, in memory
 * (redisLimiter). An address over the limit is blocked until its window ends. A process
 * that saw an address go over remembers it, so it can refuse that address again without
 * Redis. What a blocked address may still do is the caller's decision. Knows no HTTP:
 * the API and the dashboard each answer in their own way.
 */
export class AuthFailureCounter {
  readonly failures: number;
  private readonly counter: RateLimiterRedis;
  /** Address → when its block ends (ms), for addresses this process saw over the limit. */
  private readonly blockedUntil = new Map<string, number>();

  constructor(options: AuthFailureCounterOptions) {
    this.failures = options.failures;
    this.counter = redisLimiter({
      redis: options.redis,
      keyPrefix: options.keyPrefix,
      points: options.failures,
      duration: AUTH_FAILURE_WINDOW_SECONDS,
    });
  }

  /** Milliseconds left of the block of an address this process knows to be blocked, else 0. Never touches Redis. */
  knownBlockMs(address: string): number {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return 0;
    const left = until - Date.now();
    if (left > 0) return left;
    this.blockedUntil.delete(address);
    return 0;
  }

  /**
   * Milliseconds left of the address's block as Redis counts it, failures seen by every
   * replica included; 0 when it is not blocked. One Redis read unless already known here.
   */
  async blockMs(address: string): Promise<number> {
    const known = this.knownBlockMs(address);
    if (known > 0) return known;
    const counted = await this.counter.get(address);
    if (!counted || counted.consumedPoints <= this.failures || counted.msBeforeNext <= 0) return 0;
    this.remember(address, Date.now() + counted.msBeforeNext);
    return counted.msBeforeNext;
  }

  /** Counts one failure. Resolves with 0 while the address is within the limit, and with the milliseconds left of its block once it is over. */
  async countFailure(address: string): Promise<number> {
    const known = this.knownBlockMs(address);
    if (known > 0) return known;
    try {
      await this.counter.consume(address);
      return 0;
    } catch (refused: unknown) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      // At least 1 ms: a refusal landing on the window's last millisecond is still a refusal.
      const left = Math.max(1, refused.msBeforeNext);
      this.remember(address, Date.now() + left);
      return left;
    }
  }

  private remember(address: string, until: number): void {
    this.blockedUntil.delete(address);
    if (this.blockedUntil.size >= REMEMBERED_MAX) {
      const oldest = this.blockedUntil.keys().next().value;
      if (oldest !== undefined) this.blockedUntil.delete(oldest);
    }
    this.blockedUntil.set(address, until);
  }
}
