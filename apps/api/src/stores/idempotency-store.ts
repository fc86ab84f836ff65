import { createHash } from 'node:crypto';
import type { RedisClient } from '@repo/queue';
import { AppError } from '../app-error';

/** How long an Idempotency-Key holds its job, as the contract says (24 h). */
const IDEMPOTENCY_TTL_SECONDS = 86_400;

export interface Reservation {
  jobId: string;
  createdMs: number;
  /** True for the request that made the reservation; false for every repeat. */
  fresh: boolean;
}

interface StoredReservation {
  fingerprint: string;
  job_id: string;
  created_ms: number;
}

/** The same JSON whatever the key order, so `{a,b}` and `{b,a}` are one body. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function fingerprint(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}

/**
 * Idempotency-Key → job id, claimed with SET NX so that racing requests agree on one job
 * id; the job is then added under that id, which BullMQ refuses to create twice. The key
 * itself is hashed into the Redis key, so no header value can shape our key space.
 */
export class IdempotencyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(tenant: string, idempotencyKey: string): string {
    return `${this.prefix}:idempotency:${tenant}:${createHash('sha256').update(idempotencyKey).digest('hex')}`;
  }

  async reserve(
    tenant: string,
    idempotencyKey: string,
    bodyFingerprint: string,
    candidate: Reservation,
  ): Promise<Reservation> {
    const key = this.key(tenant, idempotencyKey);
    const stored: StoredReservation = {
      fingerprint: bodyFingerprint,
      job_id: candidate.jobId,
      created_ms: candidate.createdMs,
    };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if ((await this.redis.set(key, JSON.stringify(stored), 'EX', IDEMPOTENCY_TTL_SECONDS, 'NX')) === 'OK') {
        return { ...candidate, fresh: true };
      }
      const existing = await this.redis.get(key);
      if (existing === null) continue; // expired between the two calls: claim it again
      const found = JSON.parse(existing) as StoredReservation;
      if (found.fingerprint !== bodyFingerprint) {
        throw new AppError(
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different request; use a new key for a new request.',
          ['Idempotency-Key'],
        );
      }
      return { jobId: found.job_id, createdMs: found.created_ms, fresh: false };
    }
    throw new Error('could not claim an idempotency key');
  }

  /** Frees a key this request reserved for `jobId` and then could not use (over a quota). */
  async release(tenant: string, idempotencyKey: string, jobId: string): Promise<void> {
    const key = this.key(tenant, idempotencyKey);
    const existing = await this.redis.get(key);
    if (existing !== null && (JSON.parse(existing) as StoredReservation).job_id === jobId) {
      await this.redis.del(key);
    }
  }
}
