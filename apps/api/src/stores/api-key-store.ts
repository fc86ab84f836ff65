import { createHash, randomBytes } from 'node:crypto';
import { execMulti, type RedisClient } from '@repo/queue';

/** A tenant name: what API_KEYS accepts, and safe inside a Redis key. */
export const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `ak_<id>_<secret>`: the id (64 random bits, hex) names the stored record and is not
 * secret; the secret is 256 random bits (base64url). The id's alphabet has no `_`, so the
 * key splits unambiguously even though base64url may contain one.
 */
export const MANAGED_KEY = /^ak_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const KEY_ID = /^[0-9a-f]{16}$/;

/** SHA-256 of the whole key. The secret has 256 random bits, so a slow hash would add nothing. */
export function keyDigest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** What `list` shows: never the key, never its hash. */
export interface ApiKeyInfo {
  id: string;
  tenant: string;
  name: string;
  created_ms: number;
  revoked_ms: number | null;
}

/** What authentication needs to check a presented key. */
export interface StoredKey {
  tenant: string;
  digest: Buffer;
  revoked: boolean;
}

/**
 * Managed API keys in Redis: one hash per key (`<prefix>:apikey:<id>`: tenant, SHA-256 of
 * the key, name, times) and an index of ids by creation. The key itself is returned once,
 * by `create`, and never stored. A revoked key keeps its record (marked revoked) so that
 * `list` shows what existed; authentication refuses it.
 */
export class ApiKeyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:apikey:${id}`;
  }

  private get indexKey(): string {
    return `${this.prefix}:apikeys`;
  }

  async create(tenant: string, name = ''): Promise<{ key: string; info: ApiKeyInfo }> {
    if (!TENANT_NAME.test(tenant)) throw new Error('tenant must be 1-64 letters, digits, _ or -');
    if (name.length > 200) throw new Error('name must be at most 200 characters');
    for (;;) {
      const id = randomBytes(8).toString('hex');
      const key = `ak_${id}_${randomBytes(32).toString('base64url')}`;
      const info: ApiKeyInfo = { id, tenant, name, created_ms: Date.now(), revoked_ms: null };
      // HSETNX on the digest field claims the id; a (vanishingly rare) clash draws again.
      if ((await this.redis.hsetnx(this.key(id), 'digest', keyDigest(key).toString('hex'))) === 0) continue;
      await execMulti(
        this.redis
          .multi()
          .hset(this.key(id), { tenant, name, created_ms: String(info.created_ms) })
          .zadd(this.indexKey, info.created_ms, id),
      );
      return { key, info };
    }
  }

  /** One HMGET; null for an id never issued. */
  async find(id: string): Promise<StoredKey | null> {
    if (!KEY_ID.test(id)) return null;
    const [tenant, digest, revoked] = await this.redis.hmget(this.key(id), 'tenant', 'digest', 'revoked_ms');
    if (!tenant || !digest) return null;
    return { tenant, digest: Buffer.from(digest, 'hex'), revoked: Boolean(revoked) };
  }

  async list(tenant?: string): Promise<ApiKeyInfo[]> {
    const ids = await this.redis.zrange(this.indexKey, 0, -1);
    const infos: ApiKeyInfo[] = [];
    for (const id of ids) {
      const info = await this.info(id);
      if (info && (tenant === undefined || info.tenant === tenant)) infos.push(info);
    }
    return infos;
  }

  async info(id: string): Promise<ApiKeyInfo | null> {
    if (!KEY_ID.test(id)) return null;
    const [tenant, name, created, revoked] = await this.redis.hmget(
      this.key(id),
      'tenant',
      'name',
      'created_ms',
      'revoked_ms',
    );
    if (!tenant) return null;
    return {
      id,
      tenant,
      name: name ?? '',
      created_ms: Number(created),
      revoked_ms: revoked ? Number(revoked) : null,
    };
  }

  /**
   * Marks the key revoked; every API replica refuses it within a second (their caches of
   * verified keys live 500 ms). Null for an unknown id; revoking twice keeps the first time.
   */
  async revoke(id: string): Promise<ApiKeyInfo | null> {
    const existing = await this.info(id);
    if (!existing) return null;
    if (existing.revoked_ms === null) {
      await this.redis.hsetnx(this.key(id), 'revoked_ms', String(Date.now()));
    }
    return this.info(id);
  }
}

/** The id of a managed key (`ak_<id>_…`), of `ak_<id>` or of a bare id; null otherwise. */
export function keyIdOf(value: string): string | null {
  const full = MANAGED_KEY.exec(value);
  if (full?.[1]) return full[1];
  const bare = value.startsWith('ak_') ? value.slice(3) : value;
  return KEY_ID.test(bare) ? bare : null;
}
