import { type RedisClient, redisLimiter } from '@repo/queue';
import type { RequestHandler } from 'express';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { overLimit, policyField, type RateLimitPolicy, remainingField } from './rate-limit-headers';

/** The burst pool (RATE_LIMIT_BURST above the rate) refills over this many seconds. */
export const BURST_WINDOW_SECONDS = 10;

export interface RateLimitOptions {
  redis: RedisClient;
  prefix: string;
  /** RATE_LIMIT_PER_SECOND; 0 turns limiting off (the caller then installs nothing). */
  perSecond: number;
  /** RATE_LIMIT_BURST, at least perSecond. */
  burst: number;
}

function limiter(options: RateLimitOptions, name: string, points: number, duration: number) {
  return redisLimiter({
    redis: options.redis,
    keyPrefix: `${options.prefix}:ratelimit:${name}`,
    points,
    duration,
  });
}

/**
 * Requests per API key, counted in Redis so that every replica shares one count
 * (rate-limiter-flexible: one atomic Lua call per request). A key may make
 * RATE_LIMIT_PER_SECOND requests in each one-second window; past that it draws on a burst
 * pool of RATE_LIMIT_BURST − RATE_LIMIT_PER_SECOND extra requests per 10-second window.
 * Every answer carries the RateLimit-Policy and RateLimit fields; a refusal is 429 with
 * Retry-After. Returns null when limiting is off, so the hot path never touches Redis for it.
 */
export function rateLimit(options: RateLimitOptions): RequestHandler | null {
  if (options.perSecond <= 0) return null;
  const steady: RateLimitPolicy = { name: 'per-second', quota: options.perSecond, window: 1 };
  const extra = Math.max(0, options.burst - options.perSecond);
  const burst: RateLimitPolicy | null =
    extra > 0 ? { name: 'burst', quota: extra, window: BURST_WINDOW_SECONDS } : null;
  const policyHeader = [steady, ...(burst ? [burst] : [])].map(policyField).join(', ');
  const steadyLimiter = limiter(options, 's', steady.quota, 1);
  const burstLimiter = burst ? limiter(options, 'b', burst.quota, BURST_WINDOW_SECONDS) : null;

  return (_req, res, next) => {
    const key = String(res.locals.apiKeyId ?? res.locals.tenant);
    res.setHeader('RateLimit-Policy', policyHeader);
    steadyLimiter.consume(key).then(
      (done) => {
        res.setHeader(
          'RateLimit',
          remainingField(steady.name, done.remainingPoints, done.msBeforeNext / 1000),
        );
        next();
      },
      (refused: unknown) => {
        if (!(refused instanceof RateLimiterRes)) {
          next(refused);
          return;
        }
        const stopped = () => {
          const error = overLimit(
            `Too many requests for this API key: at most ${options.perSecond} per second${
              burst ? `, plus ${burst.quota} extra per ${BURST_WINDOW_SECONDS} s` : ''
            }. Retry after the time in Retry-After.`,
            steady,
            0,
            refused.msBeforeNext / 1000,
          );
          error.headers['RateLimit-Policy'] = policyHeader;
          return error;
        };
        if (!burstLimiter || !burst) {
          next(stopped());
          return;
        }
        burstLimiter.consume(key).then(
          (fromBurst) => {
            res.setHeader(
              'RateLimit',
              remainingField(burst.name, fromBurst.remainingPoints, fromBurst.msBeforeNext / 1000),
            );
            next();
          },
          (burstRefused: unknown) => {
            next(burstRefused instanceof RateLimiterRes ? stopped() : burstRefused);
          },
        );
      },
    );
  };
}
