import { AppError } from '../app-error';

/**
 * One quota policy as the IETF RateLimit header fields describe it
 * (draft-ietf-httpapi-ratelimit-headers-10): `RateLimit-Policy` says what the policy is,
 * `RateLimit` how much of it is left and when it resets.
 */
export interface RateLimitPolicy {
  name: string;
  quota: number;
  /** Seconds; absent for a quota that does not reset on a clock (jobs running, bytes stored). */
  window?: number;
  /** The draft's quota units: requests (its default), content-bytes, concurrent-requests. */
  unit?: 'requests' | 'content-bytes' | 'concurrent-requests';
}

export function policyField(policy: RateLimitPolicy): string {
  let field = `"${policy.name}";q=${policy.quota}`;
  if (policy.unit && policy.unit !== 'requests') field += `;qu="${policy.unit}"`;
  if (policy.window !== undefined) field += `;w=${policy.window}`;
  return field;
}

export function remainingField(name: string, remaining: number, resetSeconds?: number): string {
  let field = `"${name}";r=${Math.max(0, Math.floor(remaining))}`;
  if (resetSeconds !== undefined) field += `;t=${Math.max(0, Math.ceil(resetSeconds))}`;
  return field;
}

/** 429 with Retry-After and both RateLimit fields, in the error envelope. */
export function overLimit(
  message: string,
  policy: RateLimitPolicy,
  remaining: number,
  retryAfterSeconds: number,
  details: string[] = [],
): AppError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return new AppError('rate_limited', message, details, {
    'Retry-After': String(retryAfter),
    'RateLimit-Policy': policyField(policy),
    RateLimit: remainingField(policy.name, remaining, policy.window === undefined ? undefined : retryAfter),
  });
}
