import { startRedis } from './redis-server';

/**
 * Starts one private redis-server for the int project (maxmemory-policy noeviction, as
 * production runs it: see startRedis); files isolate themselves by key prefix.
 */
export default async function globalSetup(): Promise<void> {
  const redis = await startRedis();
  process.env.TEST_REDIS_URL = redis.url;
  (globalThis as { __privateRedis?: unknown }).__privateRedis = redis;
}
