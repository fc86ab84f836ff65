import { jobKey, type RedisClient, tenantStoredBytes } from '@repo/queue';
import type { AppError } from '../app-error';
import { overLimit } from '../middleware/rate-limit-headers';
import type { DatasetRecord } from './dataset-store';
import type { TenantRecordStore } from './tenant-record-store';

/** A job admitted but not yet in Redis (the API adds it right after) is counted this long. */
const ADMISSION_GRACE_MS = 60_000;

/**
 * Prunes the tenant's set of admitted jobs (those that ended, or that never arrived), then
 * admits the new one if fewer than the maximum remain. One script, so replicas admitting at
 * the same moment cannot both take the last place. Job keys share the hash-tagged prefix,
 * so this works on Redis Cluster as BullMQ's own scripts do.
 */
const ADMIT_JOB = `
local members = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local now = tonumber(ARGV[2])
for i = 1, #members, 2 do
  local key = ARGV[1] .. members[i]
  local ended
  if redis.call('EXISTS', key) == 1 then
    ended = redis.call('HEXISTS', key, 'finishedOn') == 1
  else
    ended = now - tonumber(members[i + 1]) > tonumber(ARGV[3])
  end
  if ended then redis.call('ZREM', KEYS[1], members[i]) end
end
local count = redis.call('ZCARD', KEYS[1])
local adding = #ARGV - 4
if count + adding > tonumber(ARGV[4]) then return {0, count} end
for i = 5, #ARGV do redis.call('ZADD', KEYS[1], now, ARGV[i]) end
return {1, count + adding}
`;

export interface QuotaLimits {
  /** MAX_ACTIVE_JOBS_PER_TENANT; 0 = no limit. */
  maxActiveJobs: number;
  /** MAX_DATASET_BYTES_PER_TENANT; 0 = no limit. */
  maxDatasetBytes: number;
}

/**
 * Per-tenant quotas, held in Redis so that every replica enforces one count: jobs queued
 * or running at once, and bytes stored: datasets (their Parquet size) and kept result files. Over a quota is
 * 429 with Retry-After and the RateLimit fields.
 */
export class TenantQuotas {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly limits: QuotaLimits,
    private readonly datasets: TenantRecordStore<DatasetRecord>,
  ) {}

  private activeKey(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:active-jobs`;
  }

  private bytesKey(tenant: string): string {
    return tenantStoredBytes.key(this.prefix, tenant);
  }

  /** Takes a place for `jobId` among the tenant's active jobs, or throws 429. No-op without a limit. */
  async admitJob(tenant: string, jobId: string): Promise<void> {
    await this.admitJobs(tenant, [jobId]);
  }

  /** Places for all of `jobIds` (a batch), or for none of them and 429. */
  async admitJobs(tenant: string, jobIds: string[]): Promise<void> {
    const max = this.limits.maxActiveJobs;
    if (max <= 0 || jobIds.length === 0) return;
    const [admitted, count] = (await this.redis.eval(
      ADMIT_JOB,
      1,
      this.activeKey(tenant),
      jobKey(this.prefix, ''),
      String(Date.now()),
      String(ADMISSION_GRACE_MS),
      String(max),
      ...jobIds,
    )) as [number, number];
    if (admitted !== 1) {
      const asked = jobIds.length === 1 ? '' : ` (${jobIds.length} more were asked for)`;
      throw overLimit(
        `This tenant already has ${count} jobs queued or running${asked}; MAX_ACTIVE_JOBS_PER_TENANT allows ${max}. Retry when one has ended.`,
        { name: 'active-jobs', quota: max, unit: 'concurrent-requests' },
        0,
        2,
      );
    }
  }

  /** Gives back places taken for jobs that were never added. */
  async releaseJobs(tenant: string, jobIds: string[]): Promise<void> {
    if (this.limits.maxActiveJobs <= 0 || jobIds.length === 0) return;
    await this.redis.zrem(this.activeKey(tenant), ...jobIds);
  }

  /** Bytes the tenant's datasets take, computed from their records the first time it is needed. */
  async datasetBytesUsed(tenant: string): Promise<number> {
    const key = this.bytesKey(tenant);
    const stored = await this.redis.get(key);
    if (stored !== null) return Number(stored);
    let total = 0;
    let cursor: string | undefined;
    do {
      const page = await this.datasets.list(tenant, 100, cursor);
      for (const record of page.data) total += record.size_bytes;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    // Another replica may have started the count meanwhile: its value wins.
    await this.redis.set(key, String(total), 'NX');
    return Number((await this.redis.get(key)) ?? total);
  }

  private datasetQuotaError(used: number, adding: number | null): AppError {
    const max = this.limits.maxDatasetBytes;
    const message =
      adding === null
        ? `This tenant's datasets and kept results already take ${used} bytes, the most MAX_DATASET_BYTES_PER_TENANT allows (${max}); delete datasets to make room.`
        : `Storing this dataset (${adding} bytes as Parquet) would take this tenant's datasets and kept results to ${used + adding} bytes, over MAX_DATASET_BYTES_PER_TENANT (${max}); delete datasets to make room.`;
    return overLimit(
      message,
      { name: 'dataset-bytes', quota: max, unit: 'content-bytes' },
      Math.max(0, max - used),
      60,
    );
  }

  /** Before an upload is read: refuses (429) a tenant already at its quota. */
  async checkDatasetRoom(tenant: string): Promise<void> {
    const max = this.limits.maxDatasetBytes;
    if (max <= 0) return;
    const used = await this.datasetBytesUsed(tenant);
    if (used >= max) throw this.datasetQuotaError(used, null);
  }

  /** Counts a stored dataset's bytes, or throws 429 when they do not fit the quota. */
  async addDatasetBytes(tenant: string, bytes: number): Promise<void> {
    const max = this.limits.maxDatasetBytes;
    if (max > 0) await this.datasetBytesUsed(tenant);
    const { added, used } = await tenantStoredBytes.add(this.redis, this.prefix, tenant, bytes, max);
    if (!added) throw this.datasetQuotaError(used, bytes);
  }

  async releaseDatasetBytes(tenant: string, bytes: number): Promise<void> {
    await tenantStoredBytes.release(this.redis, this.prefix, tenant, bytes);
  }
}
