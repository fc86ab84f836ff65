import { AUTH_FAILURE_WINDOW_SECONDS, AuthFailureCounter, type RedisClient } from '@repo/queue';
import type { AppError } from '../app-error';
import { overLimit, type RateLimitPolicy } from './rate-limit-headers';

export { AUTH_FAILURE_WINDOW_SECONDS };

export interface AuthFailureLimitOptions {
  redis: RedisClient;
  prefix: string;
  /** AUTH_FAILURES_PER_IP; 0 turns the limit off (the factory then returns null). */
  failures: number;
}

/**
 * Failed API key checks per client address, counted in Redis (AuthFailureCounter) so the
 * count holds across replicas. Only failures cost a Redis call: a replica that saw an
 * address go over the limit remembers it until its window ends, so it refuses that
 * address's further attempts without Redis and a successful check never asks whether its
 * address is blocked.
 */
export class AuthFailureLimit {
  private readonly counter: AuthFailureCounter;
  private readonly policy: RateLimitPolicy;

  constructor(private readonly options: AuthFailureLimitOptions) {
    this.policy = { name: 'auth-failures', quota: options.failures, window: AUTH_FAILURE_WINDOW_SECONDS };
    this.counter = new AuthFailureCounter({
      redis: options.redis,
      keyPrefix: `${options.prefix}:authfail`,
      failures: options.failures,
    });
  }

  /** The 429 for an address this replica knows to be blocked, or null. Never touches Redis. */
  blocked(address: string): AppError | null {
    const left = this.counter.knownBlockMs(address);
    return left > 0 ? this.refusal(left) : null;
  }

  /**
   * Counts one failed check. Resolves with `unauthorized` (the 401) while the address is
   * within the limit, and with the 429 once it is over.
   */
  async countFailure(address: string, unauthorized: AppError): Promise<AppError> {
    const left = await this.counter.countFailure(address);
    return left > 0 ? this.refusal(left) : unauthorized;
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
