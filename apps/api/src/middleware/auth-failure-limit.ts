import type { RedisClient } from '@repo/queue';
import { type RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppError } from '../app-error';
import { overLimit, type RateLimitPolicy } from './rate-limit-headers';
import { redisLimiter } from './redis-limiter';

/** Failed key checks are counted per client address over this fixed window. */
export const AUTH_FAILURE_WINDOW_SECONDS = 60;
/** Blocked addresses this replica remembers at most; the oldest go first. */
const REMEMBERED_MAX = 10_000;

export interface AuthFailureLimitOptions {
  redis: RedisClient;
  prefix: string;
  /** AUTH_FAILURES_PER_IP; 0 turns the limit off (the factory then returns null). */
  failures: number;
}

/**
 * Failed API key checks per client address, counted in Redis so the count holds across
 * replicas. Only failures cost a Redis call: a replica that saw an address go over the
 * limit remembers it until its window ends, so it refuses that address's further attempts
 * without Redis and a successful check never asks whether its address is blocked.
 */
export class AuthFailureLimit {
  private readonly counter: RateLimiterRedis;
  private readonly policy: RateLimitPolicy;
  /** Address → when its block ends (ms), for addresses seen over the limit by this replica. */
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly options: AuthFailureLimitOptions) {
    this.policy = { name: 'auth-failures', quota: options.failures, window: AUTH_FAILURE_WINDOW_SECONDS };
    this.counter = redisLimiter({
      redis: options.redis,
      keyPrefix: `${options.prefix}:authfail`,
      points: options.failures,
      duration: AUTH_FAILURE_WINDOW_SECONDS,
    });
  }

  /** The 429 for an address this replica knows to be blocked, or null. Never touches Redis. */
  blocked(address: string): AppError | null {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return null;
    const left = until - Date.now();
    if (left <= 0) {
      this.blockedUntil.delete(address);
      return null;
    }
    return this.refusal(left);
  }

  /**
   * Counts one failed check. Resolves with `unauthorized` (the 401) while the address is
   * within the limit, and with the 429 once it is over.
   */
  async countFailure(address: string, unauthorized: AppError): Promise<AppError> {
    const known = this.blocked(address);
    if (known) return known;
    try {
      await this.counter.consume(address);
      return unauthorized;
    } catch (refused: unknown) {
      if (!(refused instanceof RateLimiterRes)) throw refused;
      this.remember(address, Date.now() + refused.msBeforeNext);
      return this.refusal(refused.msBeforeNext);
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

  private refusal(msLeft: number): AppError {
    return overLimit(
      `Too many failed API key checks from this address: at most ${this.options.failures} per ${AUTH_FAILURE_WINDOW_SECONDS} s. Retry after the time in Retry-After.`,
      this.policy,
      0,
      msLeft / 1000,
    );
  }
}

/** The limit, or null with AUTH_FAILURES_PER_IP=0 so that no code of it runs at all. */
export function authFailureLimit(options: AuthFailureLimitOptions): AuthFailureLimit | null {
  return options.failures > 0 ? new AuthFailureLimit(options) : null;
}
