import { timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from '@repo/config';
import { clientAddressKey } from '@repo/queue';
import type { RequestHandler } from 'express';
import { AppError } from '../app-error';
import { type ApiKeyStore, keyDigest, MANAGED_KEY, type StoredKey } from '../stores/api-key-store';
import type { AuthFailureLimit } from './auth-failure-limit';

/**
 * How long a replica trusts what it read about a managed key. Revocation is seen within
 * this, counted from when the read was sent, so well within the promised second. A TTL
 * rather than pub/sub: a subscriber that was disconnected misses messages (and would need
 * a TTL as a backstop anyway); this costs one HMGET per key per replica per 500 ms.
 */
export const KEY_CACHE_TTL_MS = 500;
/** Entries kept at most; the oldest go first. Unknown ids are cached too (as null). */
const KEY_CACHE_MAX = 10_000;

interface CachedKey {
  key: StoredKey | null;
  until: number;
}

/** Managed keys by id, each read at most once per TTL however many requests arrive together. */
class VerifiedKeyCache {
  private readonly entries = new Map<string, CachedKey>();
  private readonly loading = new Map<string, Promise<StoredKey | null>>();

  constructor(private readonly store: ApiKeyStore) {}

  async get(id: string): Promise<StoredKey | null> {
    const cached = this.entries.get(id);
    if (cached && cached.until > Date.now()) return cached.key;
    const pending = this.loading.get(id);
    if (pending !== undefined) return pending;
    const sent = Date.now();
    const load = this.store
      .find(id)
      .then((key) => {
        this.entries.delete(id);
        if (this.entries.size >= KEY_CACHE_MAX) {
          const oldest = this.entries.keys().next().value;
          if (oldest !== undefined) this.entries.delete(oldest);
        }
        this.entries.set(id, { key, until: sent + KEY_CACHE_TTL_MS });
        return key;
      })
      .finally(() => this.loading.delete(id));
    this.loading.set(id, load);
    return load;
  }
}

export interface AuthenticateOptions {
  /** API_KEYS: development and test keys from the environment. */
  staticKeys: ApiKeyEntry[];
  /** Managed keys (`npm run keys`), looked up by id. */
  store: ApiKeyStore;
  /** Failed checks per client address (AUTH_FAILURES_PER_IP); null when that limit is off. */
  failures: AuthFailureLimit | null;
}

const unauthorized = (message: string) => new AppError('unauthorized', message);

/**
 * X-API-Key, exactly one. A managed key (`ak_<id>_<secret>`) is looked up by its id and
 * its SHA-256 compared with timingSafeEqual; API_KEYS entries are all compared every time,
 * so timing says nothing about how much of a key matched or which. Sets `res.locals.tenant`
 * and `res.locals.apiKeyId` (the rate limiter's key: a managed key's id, or `env-` and a
 * digest prefix for an API_KEYS entry).
 *
 * Every failed check counts against the client's address; over AUTH_FAILURES_PER_IP the
 * address gets 429 instead of 401 until the window ends. A valid managed key still passes
 * then: its 256-bit secret cannot be guessed, and refusing it would let one bad client
 * lock out everyone behind the same NAT or proxy. A valid API_KEYS key does not: those are
 * chosen by hand and may be guessable, and letting a right guess through would tell a
 * guesser when it got there.
 */
export function authenticate(options: AuthenticateOptions): RequestHandler {
  const known = options.staticKeys.map((entry) => {
    const digest = keyDigest(entry.key);
    return { tenant: entry.tenant, digest, id: `env-${digest.toString('hex').slice(0, 16)}` };
  });
  const cache = new VerifiedKeyCache(options.store);

  const { failures } = options;

  return (req, res, next) => {
    const refuse = (message: string) => {
      if (!failures) {
        next(unauthorized(message));
        return;
      }
      failures.countFailure(clientAddressKey(req.ip), unauthorized(message)).then(next, next);
    };
    const values = req.headersDistinct['x-api-key'];
    if (!values || values.length === 0 || values[0] === '') {
      refuse('Missing X-API-Key header.');
      return;
    }
    if (values.length > 1) {
      refuse('Send exactly one X-API-Key header.');
      return;
    }
    const presented = values[0] as string;
    const candidate = keyDigest(presented);
    let match: (typeof known)[number] | undefined;
    for (const entry of known) {
      if (timingSafeEqual(candidate, entry.digest) && match === undefined) match = entry;
    }
    if (match) {
      const blocked = failures?.blocked(clientAddressKey(req.ip));
      if (blocked) {
        next(blocked);
        return;
      }
      res.locals.tenant = match.tenant;
      res.locals.apiKeyId = match.id;
      next();
      return;
    }
    const managed = MANAGED_KEY.exec(presented);
    if (!managed?.[1]) {
      refuse('The X-API-Key is not valid.');
      return;
    }
    const id = managed[1];
    cache.get(id).then((stored) => {
      const matches = stored?.digest.length === candidate.length && timingSafeEqual(candidate, stored.digest);
      if (!stored || !matches) {
        refuse('The X-API-Key is not valid.');
      } else if (stored.revoked) {
        refuse('This X-API-Key has been revoked; ask for a new one.');
      } else {
        res.locals.tenant = stored.tenant;
        res.locals.apiKeyId = id;
        next();
      }
    }, next);
  };
}

/** The tenant set by `authenticate` for this request. */
export function tenantOf(res: { locals: Record<string, unknown> }): string {
  const tenant = res.locals.tenant;
  if (typeof tenant !== 'string') throw new Error('authenticate middleware did not run');
  return tenant;
}
