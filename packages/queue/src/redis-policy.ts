import type { RedisClient } from './redis-connection';

export interface RedisPolicy {
  /** Redis's maxmemory-policy, or null when CONFIG GET is not allowed (managed Redis often refuses it). */
  maxmemoryPolicy: string | null;
  /** Only noeviction keeps Redis from silently dropping queued jobs when memory runs out. */
  ok: boolean;
  warning: string | null;
}

export async function checkRedisPolicy(redis: RedisClient): Promise<RedisPolicy> {
  let policy: string | null = null;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown as string[];
    policy = reply[1] ?? null;
  } catch (error) {
    // Only Redis refusing the command means "not allowed"; a connection failure is not an answer.
    if (!(error instanceof Error) || error.name !== 'ReplyError') throw error;
    return {
      maxmemoryPolicy: null,
      ok: true,
      warning: 'CONFIG GET is not allowed on this Redis; make sure its maxmemory-policy is noeviction.',
    };
  }
  const ok = policy === 'noeviction';
  return {
    maxmemoryPolicy: policy,
    ok,
    warning: ok
      ? null
      : `Redis maxmemory-policy is ${policy}: under memory pressure Redis may evict queued jobs and metadata; set it to noeviction.`,
  };
}
