import type { RedisClient } from './redis-connection';

/**
 * Adds bytes to the tenant's total unless that would pass the maximum. With no maximum (0)
 * the total is kept up to date only if it exists, so that a quota turned on later starts
 * from the truth (the API then computes it from the tenant's datasets).
 */
const ADD_BYTES = `
local max = tonumber(ARGV[2])
if max == 0 then
  if redis.call('EXISTS', KEYS[1]) == 1 then return {1, redis.call('INCRBY', KEYS[1], ARGV[1])} end
  return {1, -1}
end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + tonumber(ARGV[1]) > max then return {0, used} end
return {1, redis.call('INCRBY', KEYS[1], ARGV[1])}
`;

const RELEASE_BYTES = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local left = redis.call('DECRBY', KEYS[1], ARGV[1])
if left < 0 then redis.call('SET', KEYS[1], 0) return 0 end
return left
`;

/**
 * The bytes a tenant stores, datasets and spilled results alike, counted in Redis so every
 * API replica and worker enforces one MAX_DATASET_BYTES_PER_TENANT: the API counts datasets
 * it stores, workers the result files they write, retention gives result bytes back.
 */
export const tenantStoredBytes = {
  key: (prefix: string, tenant: string) => `${prefix}:tenant:${tenant}:dataset-bytes`,

  /** Counts `bytes`; `{ added: false, used }` when they would pass `max` (0: no maximum). */
  async add(
    redis: RedisClient,
    prefix: string,
    tenant: string,
    bytes: number,
    max: number,
  ): Promise<{ added: boolean; used: number }> {
    const [added, used] = (await redis.eval(
      ADD_BYTES,
      1,
      tenantStoredBytes.key(prefix, tenant),
      String(bytes),
      String(max),
    )) as [number, number];
    return { added: added === 1, used };
  },

  async release(redis: RedisClient, prefix: string, tenant: string, bytes: number): Promise<void> {
    await redis.eval(RELEASE_BYTES, 1, tenantStoredBytes.key(prefix, tenant), String(bytes));
  },
};
