import type { ListPage } from '@repo/contracts';
import type { RedisClient } from '@repo/queue';
import { AppError } from '../app-error';

export interface TenantRecord {
  tenant: string;
  created_ms: number;
}

/** ioredis reports a failed command inside MULTI in its result, not by rejecting. */
async function execAll(multi: ReturnType<RedisClient['multi']>): Promise<void> {
  const results = await multi.exec();
  const failed = results?.find(([error]) => error !== null);
  if (failed?.[0]) throw failed[0];
}

const MAX_TIMESTAMP = 9_999_999_999_999;

/**
 * Metadata records (datasets, saved queries) as one JSON string per key, plus a
 * per-tenant index. The index is a sorted set with every score 0, ordered by member
 * `<13-digit inverted timestamp>:<id>`, so ZRANGE BYLEX gives newest first and a cursor
 * is simply the last member seen: exact paging, no scan of other tenants' keys.
 * Every key carries the configured (hash-tagged) prefix so MULTI works on Redis Cluster.
 */
export class TenantRecordStore<T extends TenantRecord> {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly kind: 'dataset' | 'query',
  ) {}

  private key(id: string): string {
    return `${this.prefix}:${this.kind}:${id}`;
  }

  private indexKey(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:${this.kind}s`;
  }

  private member(id: string, createdMs: number): string {
    return `${String(MAX_TIMESTAMP - createdMs).padStart(13, '0')}:${id}`;
  }

  async insert(id: string, record: T): Promise<void> {
    await execAll(
      this.redis
        .multi()
        .set(this.key(id), JSON.stringify(record))
        .zadd(this.indexKey(record.tenant), 0, this.member(id, record.created_ms)),
    );
  }

  /** Another tenant's record answers null, exactly like a missing one. */
  async get(tenant: string, id: string): Promise<T | null> {
    const raw = await this.redis.get(this.key(id));
    if (raw === null) return null;
    const record = JSON.parse(raw) as T;
    return record.tenant === tenant ? record : null;
  }

  async remove(tenant: string, id: string): Promise<T | null> {
    const record = await this.get(tenant, id);
    if (record === null) return null;
    await execAll(
      this.redis.multi().del(this.key(id)).zrem(this.indexKey(tenant), this.member(id, record.created_ms)),
    );
    return record;
  }

  async list(tenant: string, limit: number, cursor: string | undefined): Promise<ListPage<T>> {
    let start = '-';
    if (cursor !== undefined) {
      const member = Buffer.from(cursor, 'base64url').toString('utf8');
      if (!/^\d{13}:[A-Za-z0-9_-]+$/.test(member)) {
        throw new AppError('validation_failed', 'The cursor is not one this API gave out.', ['cursor']);
      }
      start = `(${member}`;
    }
    const members = await this.redis.zrangebylex(this.indexKey(tenant), start, '+', 'LIMIT', 0, limit + 1);
    const page = members.slice(0, limit);
    const ids = page.map((m) => m.slice(14));
    const raws = ids.length > 0 ? await this.redis.mget(...ids.map((id) => this.key(id))) : [];
    const data = raws.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw) as T);
    const last = page[page.length - 1];
    const next = members.length > limit && last ? Buffer.from(last, 'utf8').toString('base64url') : null;
    return { data, next_cursor: next };
  }
}
