import type { ListPage } from '@repo/contracts';
import { execMulti, type RedisClient, timeOrderedIndex } from '@repo/queue';
import { invalidCursor } from '../app-error';

export interface TenantRecord {
  tenant: string;
  created_ms: number;
}

/**
 * Metadata records (datasets, saved queries) as one JSON string per key, plus a
 * per-tenant newest-first index (timeOrderedIndex): exact paging, no scan of other
 * tenants' keys. Every key carries the configured (hash-tagged) prefix so MULTI works
 * on Redis Cluster.
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

  async insert(id: string, record: T): Promise<void> {
    await execMulti(
      this.redis
        .multi()
        .set(this.key(id), JSON.stringify(record))
        .zadd(this.indexKey(record.tenant), 0, timeOrderedIndex.member(record.created_ms, id)),
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
    await execMulti(
      this.redis
        .multi()
        .del(this.key(id))
        .zrem(this.indexKey(tenant), timeOrderedIndex.member(record.created_ms, id)),
    );
    return record;
  }

  async list(tenant: string, limit: number, cursor: string | undefined): Promise<ListPage<T>> {
    const after = cursor === undefined ? null : timeOrderedIndex.memberOf(cursor);
    if (after === null && cursor !== undefined) throw invalidCursor();
    const members = await timeOrderedIndex.after(this.redis, this.indexKey(tenant), after, limit + 1);
    const page = members.slice(0, limit);
    const ids = page.map(timeOrderedIndex.idOf);
    const raws = ids.length > 0 ? await this.redis.mget(...ids.map((id) => this.key(id))) : [];
    const data = raws.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw) as T);
    const last = page[page.length - 1];
    const next = members.length > limit && last ? timeOrderedIndex.cursorOf(last) : null;
    return { data, next_cursor: next };
  }
}
